package io.microw.nn.internal;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class EngineThreadsTest {

    @Test
    void theEntryPointsOfDjlsLibtorchAreFound() {
        assertThat(EngineThreads.available()).as("libgomp's omp_set_num_threads and MKL's mkl_set_num_threads_local_")
                .isTrue();
        assertThat(EngineThreads.openMpThreads()).isPositive();
    }

    @Test
    void aScopeMakesTheCallingThreadSingleThreadedAndCloseRestoresIt() {
        int before = EngineThreads.openMpThreads();
        try (EngineThreads.Scope one = EngineThreads.singleThreaded()) {
            assertThat(EngineThreads.openMpThreads()).isEqualTo(1);
            try (EngineThreads.Scope nested = EngineThreads.singleThreaded()) {
                assertThat(EngineThreads.openMpThreads()).isEqualTo(1);
            }
            assertThat(EngineThreads.openMpThreads()).as("the inner scope restores the outer's count").isEqualTo(1);
        }
        assertThat(EngineThreads.openMpThreads()).isEqualTo(before);
    }

    @Test
    void otherThreadsKeepTheirCount() throws Exception {
        int elsewhere = CompletableFuture.supplyAsync(EngineThreads::openMpThreads).get();
        assumeTrue(elsewhere > 1, "this machine runs libtorch on one thread: nothing to tell apart");
        try (EngineThreads.Scope one = EngineThreads.singleThreaded()) {
            assertThat(EngineThreads.openMpThreads()).isEqualTo(1);
            int[] seen = new int[1];
            Thread other = new Thread(() -> seen[0] = EngineThreads.openMpThreads());
            other.start();
            other.join();
            assertThat(seen[0]).isEqualTo(elsewhere);
        }
    }
}
