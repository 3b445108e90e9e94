package io.microw.nn.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Weight matrices packed by MKL for products with a few rows, made for one generation and freed with it. A decoding
 * step of a small model multiplies a few rows (one per prompt) by each weight matrix; libtorch's {@code linear}
 * then spends most of its time repacking the weight into MKL's internal layout, at every step, for work that is a
 * small fraction of it (brown-gpt2's 17 products on 8 rows: ~2 ms a step through {@code linear}, ~0.7 ms from
 * weights packed once, on one thread). MKL's packed API ({@code cblas_sgemm_pack} once per weight,
 * {@code cblas_sgemm_compute} per product, exported by DJL's {@code libtorch_cpu}) keeps the packed copy.
 *
 * <p>The packed copies are taken from the weights when a generation first uses them, so a generation sees the weights
 * as they were at its start (a weight changed in place while it runs is not seen). They take at most {@link
 * #DEFAULT_MAX_BYTES} in all, in memory mapped for them ({@link AnonymousMemory}) and given back by {@link #close};
 * the weights met after that keep libtorch's products. Where the entry points are missing (another libtorch build) or
 * anonymous memory is (not Linux), {@link #forRows} answers empty and every product stays libtorch's.
 */
public final class PackedWeights implements AutoCloseable {

    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;
    private static final int PACKED = 151;
    private static final int B_MATRIX = 162;
    private static final Logger LOG = LoggerFactory.getLogger(PackedWeights.class);

    /** The most bytes of packed copies one generation holds: a weight past it keeps libtorch's products. */
    public static final long DEFAULT_MAX_BYTES = 256L << 20;

    private final NDManager manager;
    private final int maxRows;
    private final long maxBytes;
    private final Map<NDArray, Optional<PackedCopy>> packed = new IdentityHashMap<>();
    private final List<AnonymousMemory> copies = new ArrayList<>();
    private long bytes;
    private boolean closed;

    private PackedWeights(NDManager manager, int maxRows, long maxBytes) {
        this.manager = manager;
        this.maxRows = maxRows;
        this.maxBytes = maxBytes;
    }

    /**
     * Packed weights for products of at most {@code maxRows} rows, to close when the generation ends.
     *
     * @param manager owns the temporaries of packing (a generation's manager)
     * @param maxRows the most rows a product may have
     * @return the packed weights, or empty when MKL's packed entry points or anonymous memory are not available
     */
    public static Optional<PackedWeights> forRows(NDManager manager, int maxRows) {
        return forRows(manager, maxRows, DEFAULT_MAX_BYTES);
    }

    /**
     * Packed weights for products of at most {@code maxRows} rows holding at most {@code maxBytes} of packed
     * copies, to close when the generation ends.
     *
     * @param manager  owns the temporaries of packing (a generation's manager)
     * @param maxRows  the most rows a product may have
     * @param maxBytes the most bytes of packed copies
     * @return the packed weights, or empty when MKL's packed entry points or anonymous memory are not available
     */
    static Optional<PackedWeights> forRows(NDManager manager, int maxRows, long maxBytes) {
        if (maxRows < 1) {
            throw new IllegalArgumentException("packed products need at least 1 row, got " + maxRows);
        }
        return Mkl.AVAILABLE && AnonymousMemory.available() ? Optional.of(new PackedWeights(manager, maxRows, maxBytes))
                : Optional.empty();
    }

    /**
     * {@code x · weightᵀ + bias} from the packed weight, for float32 arrays on the CPU with at most the rows this
     * was made for; the result is made in {@code x}'s manager, like libtorch's {@code linear}.
     *
     * @param x      [..., in]
     * @param weight [out, in]
     * @param bias   [out], or {@code null}
     * @return [..., out], or empty when the product is not one this can do, or this is closed (the caller uses
     *         libtorch's)
     */
    public Optional<NDArray> linear(NDArray x, NDArray weight, NDArray bias) {
        if (closed) {
            return Optional.empty();
        }
        Shape xShape = x.getShape();
        if (xShape.dimension() < 1 || xShape.isScalar() || x.getDataType() != DataType.FLOAT32
                || bias != null && bias.getDataType() != DataType.FLOAT32 || !Device.cpu().equals(x.getDevice())) {
            return Optional.empty();
        }
        // the weight is checked once, when it is first met: a generation's products then only look at their input
        Optional<PackedCopy> copy = packed.computeIfAbsent(weight, this::pack);
        if (copy.isEmpty() || xShape.get(xShape.dimension() - 1) != copy.get().in()) {
            return Optional.empty();
        }
        int in = copy.get().in();
        int out = copy.get().out();
        long rows = xShape.size() / in;
        if (rows < 1 || rows > maxRows) {
            return Optional.empty();
        }
        ByteBuffer a = x.toByteBuffer(true);
        NDArray y = x.getManager().create(xShape.slice(0, xShape.dimension() - 1).add(out), DataType.FLOAT32);
        ByteBuffer c = y.toByteBuffer(true);
        if (!a.isDirect() || !c.isDirect()) {
            y.close();
            return Optional.empty();
        }
        Mkl.cblas_sgemm_compute(ROW_MAJOR, NO_TRANS, PACKED, (int) rows, out, in, a, in, copy.get().buffer(), in, 0f,
                c, out);
        if (bias != null) {
            y.addi(bias);
        }
        return Optional.of(y);
    }

    /**
     * Gives the packed copies' memory back to the system; {@link #linear} declines every product after this.
     */
    @Override
    public void close() {
        closed = true;
        copies.forEach(AnonymousMemory::close);
        copies.clear();
        packed.clear();
    }

    /**
     * MKL's packed copy of {@code weight}ᵀ, the second factor of the products, in memory mapped for it ({@link
     * AnonymousMemory}, given back when the generation ends); empty for a weight it cannot pack (not a float32 matrix
     * on the CPU, or too large for MKL's int dimensions) or when the copy would take the copies past {@link
     * #maxBytes}. MKL's packed format holds more than the weight (~7.5 MB beyond its 786 KB for a 768 × 256 weight);
     * the pages a product never touches are never resident.
     */
    private Optional<PackedCopy> pack(NDArray weight) {
        Shape shape = weight.getShape();
        if (shape.dimension() != 2 || weight.getDataType() != DataType.FLOAT32
                || !Device.cpu().equals(weight.getDevice())
                || shape.get(0) > Integer.MAX_VALUE || shape.get(1) > Integer.MAX_VALUE) {
            return Optional.empty();
        }
        int out = (int) shape.get(0);
        int in = (int) shape.get(1);
        long size = packedSize(maxRows, out, in);
        if (bytes + size > maxBytes) {
            return Optional.empty();
        }
        bytes += size;
        NDArray source = weight.reshape(shape);
        source.attach(manager);   // a contiguous copy toByteBuffer may make belongs to the generation, not the model
        ByteBuffer w = source.toByteBuffer(true);
        if (!w.isDirect()) {
            throw new IllegalStateException("the engine gave no direct view of a CPU tensor's memory");
        }
        AnonymousMemory memory = AnonymousMemory.map(size);
        copies.add(memory);
        ByteBuffer dest = memory.buffer();
        Mkl.cblas_sgemm_pack(ROW_MAJOR, B_MATRIX, TRANS, maxRows, out, in, 1f, w, in, dest);
        return Optional.of(new PackedCopy(dest, out, in));
    }

    /** A weight's packed copy and its shape [out, in]. */
    private record PackedCopy(ByteBuffer buffer, int out, int in) {
    }

    /** The bytes of MKL's packed copy of an [out, in] weight for products of at most {@code maxRows} rows. */
    static long packedSize(int maxRows, int out, int in) {
        return Mkl.cblas_sgemm_pack_get_size(B_MATRIX, maxRows, out, in);
    }

    /**
     * MKL's packed-product entry points in {@code libtorch_cpu}, bound by JNA's direct mapping (a product costs one
     * plain native call, where a generic JNA call converts its 13 arguments every time).
     */
    private static final class Mkl {

        static final boolean AVAILABLE = register();

        private Mkl() {
        }

        static native long cblas_sgemm_pack_get_size(int identifier, int m, int n, int k);

        static native void cblas_sgemm_pack(int layout, int identifier, int trans, int m, int n, int k, float alpha,
                                            ByteBuffer src, int ld, ByteBuffer dest);

        static native void cblas_sgemm_compute(int layout, int transa, int transb, int m, int n, int k, ByteBuffer a,
                                               int lda, ByteBuffer b, int ldb, float beta, ByteBuffer c, int ldc);

        private static boolean register() {
            Optional<NativeLibrary> torch = LibtorchFunctions.find().flatMap(f -> f.library("libtorch_cpu.so"));
            if (torch.isEmpty()) {
                return false;
            }
            try {
                Native.register(Mkl.class, torch.get());
                return true;
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                LOG.debug("MKL's packed products are not available: {}", e.toString());
                return false;
            }
        }
    }
}
