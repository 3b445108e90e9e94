package io.microw.nn.internal;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AnonymousMemoryTest {

    @Test
    void mapsZeroedWritableMemoryAndGivesItBack() {
        assertThat(AnonymousMemory.available()).as("mmap and munmap in libc on Linux").isTrue();
        long bytes = 3L << 20;
        try (AnonymousMemory memory = AnonymousMemory.map(bytes)) {
            ByteBuffer buffer = memory.buffer();
            assertThat(buffer.isDirect()).isTrue();
            assertThat(buffer.capacity()).isEqualTo((int) bytes);
            assertThat(buffer.get(0)).isZero();
            assertThat(buffer.get((int) bytes - 1)).isZero();
            buffer.putFloat(1024, 2.5f);
            assertThat(memory.buffer().getFloat(1024)).isEqualTo(2.5f);
            memory.close();
            assertThatThrownBy(memory::buffer).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        }
    }

    @Test
    void refusesSizesOutsideOneDirectBuffer() {
        assertThatThrownBy(() -> AnonymousMemory.map(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot map 0 bytes");
        assertThatThrownBy(() -> AnonymousMemory.map(3L << 30)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot map 3221225472 bytes");
    }
}
