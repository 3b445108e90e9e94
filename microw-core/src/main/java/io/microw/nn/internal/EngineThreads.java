package io.microw.nn.internal;

import ai.djl.pytorch.jni.JniUtils;
import com.sun.jna.Function;
import com.sun.jna.ptr.IntByReference;

/**
 * libtorch's thread count for the calling thread alone: OpenMP's ({@code omp_set_num_threads}, a per-thread setting
 * in the libgomp that DJL's libtorch ships) and MKL's ({@code mkl_set_num_threads_local}, exported by {@code
 * libtorch_cpu}). A forward of a few rows through a small model (a decoding step of brown-gpt2) is slower on two
 * threads than on one: each operator with a parallel loop (layer norm, softmax, matrix products) wakes the second
 * thread, which costs more than it saves. On the 2-core benchmark machine, 8 × 256 by 256 × 768 takes 59–66 µs on one
 * thread and 114–145 µs on two. {@code JniUtils.setNumThreads} would change MKL for the whole process; these settings
 * leave other threads (a server's other requests) as they are. Where a library or symbol is missing (a libtorch
 * without MKL or with another OpenMP), that part of {@link #singleThreaded()} does nothing.
 */
public final class EngineThreads {

    private static final Natives NATIVES = Natives.find();

    private EngineThreads() {
    }

    /** A thread-local setting that {@link #close()} undoes (the thread's previous counts come back). */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Makes libtorch's parallel loops and MKL's products run on the calling thread alone until the scope closes.
     *
     * @return the scope to close (in a try-with-resources block)
     */
    public static Scope singleThreaded() {
        // libtorch sets a thread's counts on its first parallel loop; asking for them first makes that happen now,
        // before the counts below (a new thread's first step would otherwise run on every thread)
        JniUtils.getNumThreads();
        boolean hasOpenMp = NATIVES.ompGetMaxThreads != null && NATIVES.ompSetNumThreads != null;
        int openMp = hasOpenMp ? NATIVES.ompGetMaxThreads.invokeInt(new Object[0]) : 0;
        if (openMp > 0) {
            NATIVES.ompSetNumThreads.invoke(new Object[] {1});
        }
        int mkl = NATIVES.mklSetLocal == null ? -1 : setMklLocal(1);
        return () -> {
            if (mkl >= 0) {
                setMklLocal(mkl);
            }
            if (openMp > 0) {
                NATIVES.ompSetNumThreads.invoke(new Object[] {openMp});
            }
        };
    }

    /**
     * Whether both settings were found, so that {@link #singleThreaded()} has its full effect.
     *
     * @return true when libgomp's and MKL's entry points were found
     */
    public static boolean available() {
        return NATIVES.ompSetNumThreads != null && NATIVES.mklSetLocal != null;
    }

    /**
     * OpenMP's thread count for parallel regions the calling thread starts ({@code omp_get_max_threads}).
     *
     * @return the count, or -1 when libgomp's entry point was not found
     */
    static int openMpThreads() {
        return NATIVES.ompGetMaxThreads == null ? -1 : NATIVES.ompGetMaxThreads.invokeInt(new Object[0]);
    }

    /** Sets the calling thread's MKL count (0: back to the process-wide one) and returns its previous local count. */
    private static int setMklLocal(int threads) {
        // libtorch's static MKL exports the Fortran-style entry point, which takes its argument by reference
        return (Integer) NATIVES.mklSetLocal.invoke(Integer.class, new Object[] {new IntByReference(threads)});
    }

    /** The native entry points, each {@code null} when not found. */
    private record Natives(Function ompSetNumThreads, Function ompGetMaxThreads, Function mklSetLocal) {

        static Natives find() {
            return LibtorchFunctions.find()
                    .map(natives -> new Natives(natives.function("libgomp", "omp_set_num_threads"),
                            natives.function("libgomp", "omp_get_max_threads"),
                            natives.function("libtorch_cpu.so", "mkl_set_num_threads_local_")))
                    .orElse(new Natives(null, null, null));
        }
    }
}
