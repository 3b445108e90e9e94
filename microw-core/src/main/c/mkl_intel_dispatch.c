/*
 * microw's MKL dispatch shim, preloaded (LD_PRELOAD) into the JVM on AMD processors by microw's command line.
 *
 * The oneMKL inside libtorch picks its kernels by asking mkl_serv_intel_cpu_true() whether the processor is Intel's;
 * on an AMD processor the answer is 0 and MKL runs its generic AVX2 code even where the processor has AVX-512 (Zen 4
 * and later), about half as fast for the float32 products of a forward (BENCHMARKS.md, "MKL on AMD processors").
 * MKL calls the function through the dynamic linker, so a preloaded definition answering 1 wins; MKL still checks
 * which instruction sets the processor has before it uses them.
 *
 * Built without the C library (-nostdlib): it uses nothing from it, so it loads under any glibc.
 */
int mkl_serv_intel_cpu_true(void) {
    return 1;
}
