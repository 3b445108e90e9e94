package io.microw.nn.internal;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class HugePagesTest {

    private static final Map<String, String> TUNABLE = Map.of("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1");

    @Test
    void glibcsTunableGetsThemWhereTheKernelGrantsThemOnRequest() {
        assertThat(HugePages.forLargeAllocations(TUNABLE, "madvise")).isTrue();
        assertThat(HugePages.forLargeAllocations(Map.of("GLIBC_TUNABLES",
                "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1"), "madvise")).as("among other tunables").isTrue();
    }

    @Test
    void withoutTheTunableOnlyTheKernelsAlwaysModeGivesThem() {
        assertThat(HugePages.forLargeAllocations(Map.of(), "madvise")).isFalse();
        assertThat(HugePages.forLargeAllocations(Map.of("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0"), "madvise"))
                .isFalse();
        assertThat(HugePages.forLargeAllocations(Map.of(), "always")).isTrue();
    }

    @Test
    void aKernelWithoutThemGivesNoneWhateverGlibcAsks() {
        assertThat(HugePages.forLargeAllocations(TUNABLE, "never")).isFalse();
        assertThat(HugePages.forLargeAllocations(TUNABLE, "")).as("no transparent huge pages at all").isFalse();
    }

    @Test
    void theKernelModeIsOneOfItsThreeOrNone() {
        assertThat(HugePages.kernelMode()).isIn("always", "madvise", "never", "");
    }
}
