package io.microw.sae.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.microw.nn.internal.HugePages;
import io.microw.sae.TrainingRule;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Forward pass and gradients of one training batch, accumulated into the {@link TrainingModel}'s gradient
 * buffers. The encoder product {@code (x − b_dec) W_enc} is the one dense matrix product, in the engine (for TopK
 * a slice of rows at a time, each slice's top k picked in Java as it comes); everything after the activation runs
 * on the codes: with {@link SparseKernels} when they are sparse (TopK, BatchTopK, a
 * sparse ReLU), with dense engine products otherwise (and on request, to check the sparse path against).
 *
 * <p>Loss: {@code mean_b ‖x̂_b − x_b‖²} plus the architecture's term: AuxK for TopK/BatchTopK (dead latents
 * reconstruct the residual), L1 weighted by decoder norms for the standard SAE, L0 through a straight-through
 * estimator for JumpReLU.
 */
final class GradientStep {

    /** Code density above which AUTO uses the dense path. */
    static final double DENSE_ABOVE = 0.02;
    /**
     * Largest TopK encoder product slice, in bytes: glibc maps blocks above 32 MiB afresh on every allocation, and
     * without huge pages each fresh 4 KiB page costs a fault, so slices stay below that.
     */
    static final long SLICE_BYTES = 24L << 20;
    /**
     * Largest slice where large allocations get huge pages ({@link HugePages}): a fresh block then faults once per
     * 2 MiB, and fewer, larger slices read the encoder's weights fewer times (each slice's product streams all of
     * them): at 768 / 24576 with a batch of 4096, 4 slices instead of 16 took the encoder product from 1.07–1.12 s
     * a step to 0.95–1.05 s, and (with MKL's AVX-512 code) 2 slices instead of 4 from 451–466 ms to 430–445 ms. The
     * whole 400 MB product in one piece was no faster than 2 slices on a Zen 5 processor (427–440 ms) but was on a
     * Zen 4 one (701–710 ms against 742–793, three interleaved runs each), so a slice may take up to 512 MiB: one
     * piece up to a batch × d_sae of 128 Mi floats (4096 × 32768).
     */
    static final long HUGE_PAGE_SLICE_BYTES = 512L << 20;

    /** What a step computed, for metrics. */
    record Result(double loss, double mse, double auxLoss, double sparsityLoss, float[][] reconstruction,
                  int[] activeCounts, long activeTotal, double codeSum, boolean usedSparsePath) {
    }

    private final TrainingModel model;
    private final Workers workers;
    private final boolean[] touchedDec;
    private final boolean[] touchedEnc;
    /** The engine's copy of the centred batch, refilled every step. */
    private ByteBuffer inputBuffer;
    /**
     * Per-row work arrays kept from step to step (a step's fresh arrays cost more than their use): the centred
     * input, the reconstruction (handed out in the {@link Result}, valid until the next step), the error gradient,
     * and AuxK's residual and reconstruction.
     */
    private float[][] centredRows;
    private float[][] reconRows;
    private float[][] gradRows;
    private float[][] residualRows;
    private float[][] auxReconRows;

    GradientStep(TrainingModel model, Workers workers) {
        this.model = model;
        this.workers = workers;
        this.touchedDec = new boolean[model.dSae];
        this.touchedEnc = new boolean[model.dSae];
    }

    boolean[] touchedDecoderRows() {
        return touchedDec;
    }

    boolean[] touchedEncoderRows() {
        return touchedEnc;
    }

    /**
     * Computes the loss and adds its gradients for batch {@code x} ({@code [rows][d_in]}, already scaled). The
     * result's reconstruction is valid until the next call.
     *
     * @param dead         latents counted dead (AuxK), or null
     * @param coefficient  the sparsity coefficient for this step (L1 or L0, after warm-up)
     */
    Result run(float[][] x, boolean[] dead, double auxCoefficient, int kAux, double coefficient,
               double bandwidth, SaeTrainingConfig.CodePath path) {
        Arrays.fill(touchedDec, false);
        Arrays.fill(touchedEnc, false);
        int rows = x.length;
        float[][] xc = centred(x);
        AuxK aux = auxK(dead, auxCoefficient, kAux);
        try (NDManager manager = model.newManager()) {
            inputBuffer = Rows.fill(inputBuffer, xc, model.dIn);
            NDArray xcNd = Rows.engineArray(manager, inputBuffer, rows, model.dIn);
            SparseCodes codes = null;
            SparseCodes auxCodes = null;
            NDArray denseCodes = null;
            if (model.rule == TrainingRule.TOP_K) {
                Selection selected = topKBySlices(manager, xcNd, rows, aux);
                codes = selected.codes();
                auxCodes = selected.aux();
            } else {
                NDArray pre = xcNd.matMul(model.wEncT.view(manager).transpose()).addi(model.bEnc.view(manager));
                if (model.rule == TrainingRule.JUMP_RELU_L0) {
                    return dense(manager, x, xcNd, jumpReluCodes(manager, pre), pre, coefficient, bandwidth);
                }
                if (model.rule == TrainingRule.BATCH_TOP_K) {
                    codes = batchTopK(pre, rows);
                    if (aux != null) {
                        int[] latent = new int[rows * aux.k()];
                        float[] value = new float[rows * aux.k()];
                        RowTopK.select(workers, floats(pre), aux.offset(new float[model.dSae]), rows, aux.k(), false,
                                latent, value, 0);
                        auxCodes = SparseCodes.fixedK(rows, aux.k(), latent, value);
                    }
                } else {
                    denseCodes = pre.maximum(0f);
                }
            }
            boolean sparse = switch (path) {
                case SPARSE -> true;
                case DENSE -> false;
                case AUTO -> codes != null || densityOf(denseCodes) <= DENSE_ABOVE;
            };
            if (codes == null && sparse) {
                codes = toSparse(denseCodes, rows);
            }
            Result r;
            if (sparse) {
                r = sparse(x, xc, codes, coefficient);
            } else {
                NDArray z = denseCodes != null ? denseCodes : toDense(manager, codes);
                r = dense(manager, x, xcNd, z, null, coefficient, bandwidth);
            }
            return auxCodes == null ? r : withAux(r, x, xc, auxCodes, aux.weight());
        }
    }

    /**
     * AuxK for one step (TopK and BatchTopK): the dead latents, how many of them each row keeps, and the weight of
     * the loss ({@code coefficient · min(dead / k_aux, 1)}).
     */
    private record AuxK(boolean[] dead, int k, double weight) {

        /** Per latent: {@code bias} for a dead one, −∞ for a live one (left out of the selection). */
        float[] offset(float[] bias) {
            float[] offset = new float[dead.length];
            for (int i = 0; i < dead.length; i++) {
                offset[i] = dead[i] ? bias[i] : Float.NEGATIVE_INFINITY;
            }
            return offset;
        }
    }

    /** This step's AuxK, or null when it does not apply (another architecture, no coefficient, nothing dead). */
    private AuxK auxK(boolean[] dead, double coefficient, int kAux) {
        boolean topK = model.rule.selectsK();
        if (!topK || dead == null || coefficient <= 0) {
            return null;
        }
        int numDead = 0;
        for (boolean b : dead) {
            if (b) {
                numDead++;
            }
        }
        if (numDead == 0) {
            return null;
        }
        return new AuxK(dead, Math.min(kAux, numDead), coefficient * Math.min(numDead / (double) kAux, 1.0));
    }

    /** The TopK codes of a batch, and AuxK's (null when it does not apply). */
    private record Selection(SparseCodes codes, SparseCodes aux) {
    }

    /**
     * TopK: the encoder product {@code (x − b_dec) W_enc} computed a slice of rows at a time, each slice's top k
     * (with {@code b_enc} added as it is scanned) and AuxK's top among the dead latents picked while it is fresh.
     * A slice's output stays under {@link #SLICE_BYTES}, a size the allocator reuses from step to step (the whole
     * {@code [batch, d_sae]} product would be mapped afresh, and its pages faulted in, every step), or under {@link
     * #HUGE_PAGE_SLICE_BYTES} where those faults are few.
     */
    private Selection topKBySlices(NDManager manager, NDArray xcNd, int rows, AuxK aux) {
        int k = model.k;
        long sliceBytes = HugePages.forLargeAllocations() ? HUGE_PAGE_SLICE_BYTES : SLICE_BYTES;
        int slice = (int) Math.max(1, Math.min(rows, sliceBytes / ((long) Float.BYTES * model.dSae)));
        NDArray encoderT = model.wEncT.view(manager).transpose();
        int[] latent = new int[rows * k];
        float[] value = new float[rows * k];
        float[] auxOffset = aux == null ? null : aux.offset(model.bEnc.vector());
        int[] auxLatent = aux == null ? null : new int[rows * aux.k()];
        float[] auxValue = aux == null ? null : new float[rows * aux.k()];
        for (int first = 0; first < rows; first += slice) {
            int n = Math.min(slice, rows - first);
            try (NDArray xSlice = xcNd.get(new NDIndex("{}:{}", first, first + n));
                 NDArray product = xSlice.matMul(encoderT)) {
                FloatBuffer values = floats(product);
                RowTopK.select(workers, values, model.bEnc.vector(), n, k, true, latent, value, first);
                if (aux != null) {
                    RowTopK.select(workers, values, auxOffset, n, aux.k(), false, auxLatent, auxValue, first);
                }
            }
        }
        return new Selection(SparseCodes.fixedK(rows, k, latent, value),
                aux == null ? null : SparseCodes.fixedK(rows, aux.k(), auxLatent, auxValue));
    }

    /** A float view of a contiguous engine array's memory (a copy only where the engine cannot share it). */
    private static FloatBuffer floats(NDArray array) {
        return array.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** {@code x − b_dec} row by row when the SAE centres its input, else {@code x} itself. */
    private float[][] centred(float[][] x) {
        if (!model.applyBDecToInput) {
            return x;
        }
        float[] b = model.bDec.vector();
        centredRows = Rows.reuse(centredRows, x.length, b.length);
        float[][] xc = centredRows;
        for (int r = 0; r < x.length; r++) {
            float[] in = x[r];
            float[] out = xc[r];
            for (int c = 0; c < b.length; c++) {
                out[c] = in[c] - b[c];
            }
        }
        return xc;
    }

    private Result sparse(float[][] x, float[][] xc, SparseCodes codes, double l1) {
        int rows = x.length;
        int d = model.dIn;
        reconRows = Rows.reuse(reconRows, rows, d);
        gradRows = Rows.reuse(gradRows, rows, d);
        float[][] recon = reconRows;
        float[][] g = gradRows;
        float[] gradValue = new float[codes.size()];
        double mse = SparseKernels.decodeWithGradient(workers, codes, model.wDec.data, model.bDec.vector(), x,
                (float) (2.0 / rows), recon, g, gradValue) / rows;
        double sparsityLoss = 0;
        float[] extra = null;
        float[] norms = null;
        if (model.rule == TrainingRule.RELU_L1 && l1 > 0) {
            norms = model.decoderNorms();
            extra = new float[codes.size()];
            for (int e = 0; e < extra.length; e++) {
                extra[e] = (float) (l1 / rows) * norms[codes.latent[e]];
                sparsityLoss += l1 / rows * codes.value[e] * norms[codes.latent[e]];
            }
        }
        backprop(codes, xc, g, gradValue, extra, true, true);
        if (norms != null) {
            addL1DecoderGradient(codeColumnSums(codes), norms, l1 / rows);
        }
        return new Result(mse + sparsityLoss, mse, 0, sparsityLoss, recon, codes.activeCounts(model.dSae),
                codes.activeCount(), codes.valueSum(), true);
    }

    /**
     * Adds the gradients of {@code Σ_b g_b · decode(codes_b)}, given {@code gradValue[e] = g_b · W_dec[latent e]}
     * (plus {@code extra[e]} on each code's gradient):
     * decoder rows, encoder rows, {@code b_enc}, and {@code b_dec} through the input centring (and the decoder
     * bias when {@code decoderBias}). With {@code relu} the codes are ReLU outputs and only positive ones pass a
     * gradient to the encoder; without it (AuxK's raw top pre-activations, as in SAELens) every code does.
     */
    private void backprop(SparseCodes codes, float[][] xc, float[][] g, float[] gradValue, float[] extra,
                          boolean decoderBias, boolean relu) {
        int d = model.dIn;
        int[] rowOf = codes.rowOfEntries();
        SparseCodes.ByLatent byLatent = codes.byLatent(model.dSae);
        float[] gradPre = new float[codes.size()];
        for (int e = 0; e < gradPre.length; e++) {
            if (!relu || codes.value[e] > 0) {
                gradPre[e] = gradValue[e] + (extra == null ? 0f : extra[e]);
            }
        }
        SparseKernels.scatterRows(workers, byLatent, rowOf, codes.value, g, model.wDec.grad, touchedDec);
        SparseKernels.scatterRows(workers, byLatent, rowOf, gradPre, xc, model.wEncT.grad, touchedEnc);
        float[] gradPreSums = new float[model.dSae];
        for (int e = 0; e < gradPre.length; e++) {
            gradPreSums[codes.latent[e]] += gradPre[e];
        }
        SparseKernels.addScaled(model.bEnc.vectorGradient(), 1f, gradPreSums);
        float[] bDecGrad = new float[d];
        if (decoderBias) {
            for (float[] row : g) {
                SparseKernels.addScaled(bDecGrad, 1f, row);
            }
        }
        if (model.applyBDecToInput) {
            // Σ_e gradPre[e] · W_enc^T[latent e], summed per latent first: one row per latent, not per entry
            float[] through = SparseKernels.weightedRowSum(workers, gradPreSums, model.wEncT.data, d);
            for (int c = 0; c < d; c++) {
                bDecGrad[c] -= through[c];
            }
        }
        model.bDec.addGradient(bDecGrad);
    }

    /**
     * AuxK: the dead latents' top pre-activations ({@code aux}) reconstruct the (fixed) residual {@code x − x̂};
     * {@code weight} scales the loss.
     */
    private Result withAux(Result r, float[][] x, float[][] xc, SparseCodes aux, double weight) {
        int rows = x.length;
        int d = model.dIn;
        auxReconRows = Rows.reuse(auxReconRows, rows, d);
        residualRows = Rows.reuse(residualRows, rows, d);
        float[][] auxRecon = auxReconRows;
        float[][] residual = residualRows;
        for (int b = 0; b < rows; b++) {
            float[] in = x[b];
            float[] recon = r.reconstruction()[b];
            float[] out = residual[b];
            for (int c = 0; c < d; c++) {
                out[c] = in[c] - recon[c];
            }
        }
        gradRows = Rows.reuse(gradRows, rows, d); // the main term's gradient has been used by now
        float[][] g = gradRows;
        float[] gradValue = new float[aux.size()];
        double auxLoss = SparseKernels.decodeWithGradient(workers, aux, model.wDec.data, null, residual,
                (float) (2.0 * weight / rows), auxRecon, g, gradValue) / rows * weight;
        backprop(aux, xc, g, gradValue, null, false, false);
        return new Result(r.loss() + auxLoss, r.mse(), auxLoss, r.sparsityLoss(), r.reconstruction(),
                r.activeCounts(), r.activeTotal(), r.codeSum(), r.usedSparsePath());
    }

    /**
     * {@code mean_b ‖out_b − target_b‖²}; writes its gradient times {@code weight} into {@code g}.
     */
    private static double errorGradient(float[] out, float[][] target, double weight, float[] g) {
        int rows = target.length;
        double sum = 0;
        float scale = (float) (2.0 * weight / rows);
        for (int b = 0; b < rows; b++) {
            float[] t = target[b];
            int base = b * t.length;
            for (int c = 0; c < t.length; c++) {
                float e = out[base + c] - t[c];
                sum += (double) e * e;
                g[base + c] = scale * e;
            }
        }
        return sum / rows;
    }

    private Result dense(NDManager manager, float[][] x, NDArray xcNd, NDArray z, NDArray pre,
                         double coefficient, double bandwidth) {
        int rows = x.length;
        int d = model.dIn;
        NDArray wDec = model.wDec.view(manager);
        NDArray active = z.gt(0f).toType(DataType.FLOAT32, false);
        float[] recon = z.matMul(wDec).add(model.bDec.view(manager)).toFloatArray();
        float[] g = new float[rows * d];
        double mse = errorGradient(recon, x, 1.0, g);
        NDArray gNd = manager.create(g, new Shape(rows, d));
        NDArray gradZ = gNd.matMul(wDec.transpose());
        double sparsityLoss = 0;
        float[] norms = null;
        boolean l1 = model.rule == TrainingRule.RELU_L1 && coefficient > 0;
        if (l1) {
            norms = model.decoderNorms();
            NDArray normsNd = manager.create(norms);
            gradZ = gradZ.add(normsNd.mul((float) (coefficient / rows)));
            sparsityLoss = z.mul(normsNd).sum().getFloat() * coefficient / rows;
        }
        NDArray gradPre = gradZ.mul(active);
        model.wDec.addGradient(z.transpose().matMul(gNd).toFloatArray());
        model.wEncT.addGradient(gradPre.transpose().matMul(xcNd).toFloatArray());
        model.bEnc.addGradient(gradPre.sum(new int[] {0}).toFloatArray());
        NDArray bDecGrad = gNd.sum(new int[] {0});
        if (model.applyBDecToInput) {
            bDecGrad = bDecGrad.sub(gradPre.matMul(model.wEncT.view(manager)).sum(new int[] {0}));
        }
        model.bDec.addGradient(bDecGrad.toFloatArray());
        if (l1) {
            addL1DecoderGradient(z.sum(new int[] {0}).toFloatArray(), norms, coefficient / rows);
        }
        if (model.rule == TrainingRule.JUMP_RELU_L0) {
            sparsityLoss = addThresholdGradient(manager, pre, gradZ, rows, coefficient, bandwidth);
        }
        Arrays.fill(touchedDec, true);
        Arrays.fill(touchedEnc, true);
        float[] counts = active.sum(new int[] {0}).toFloatArray();
        int[] activeCounts = new int[counts.length];
        long total = 0;
        for (int i = 0; i < counts.length; i++) {
            activeCounts[i] = Math.round(counts[i]);
            total += activeCounts[i];
        }
        return new Result(mse + sparsityLoss, mse, 0, sparsityLoss, Rows.split(recon, rows, d), activeCounts, total,
                z.sum().getFloat(), false);
    }

    /** {@code ReLU(pre) · [pre > θ]} with θ = exp(log_threshold). */
    private NDArray jumpReluCodes(NDManager manager, NDArray pre) {
        NDArray theta = manager.create(model.thresholds());
        return pre.maximum(0f).mul(pre.gt(theta).toType(DataType.FLOAT32, false));
    }

    /**
     * JumpReLU's straight-through gradients for the thresholds (SAELens / Rajamanoharan et al.): with a rectangle
     * kernel K of width {@code bandwidth} around θ, {@code ∂z/∂θ = −(θ/ε)·K} and {@code ∂H/∂θ = −(1/ε)·K}; the L0
     * penalty is {@code coefficient · mean_b Σ_i H(pre − θ)}. The gradient goes to log θ. Returns the L0 loss.
     */
    private double addThresholdGradient(NDManager manager, NDArray pre, NDArray gradZ, int rows, double l0,
                                        double bandwidth) {
        float[] theta = model.thresholds();
        NDArray thetaNd = manager.create(theta);
        NDArray window = pre.sub(thetaNd).abs().lt((float) (bandwidth / 2)).toType(DataType.FLOAT32, false);
        float[] zTerm = window.mul(gradZ).sum(new int[] {0}).toFloatArray();
        float[] hTerm = window.sum(new int[] {0}).toFloatArray();
        double l0Loss = pre.gt(thetaNd).sum().toType(DataType.FLOAT32, false).getFloat() * l0 / rows;
        float[] grad = new float[theta.length];
        for (int i = 0; i < theta.length; i++) {
            double gTheta = -(theta[i] / bandwidth) * zTerm[i] - (l0 / rows) * hTerm[i] / bandwidth;
            grad[i] = (float) (gTheta * theta[i]);
        }
        model.logThreshold.addGradient(grad);
        return l0Loss;
    }

    /** Gradient of the L1 term through the decoder norms: {@code coef · Σ_b z_bl · w_l / ‖w_l‖}. */
    private void addL1DecoderGradient(float[] columnSums, float[] norms, double coef) {
        for (int l = 0; l < model.dSae; l++) {
            if (columnSums[l] == 0 || norms[l] == 0) {
                continue;
            }
            touchedDec[l] = true;
            SparseKernels.addScaled(model.wDec.grad[l], (float) (coef * columnSums[l] / norms[l]), model.wDec.data[l]);
        }
    }

    private float[] codeColumnSums(SparseCodes codes) {
        float[] sums = new float[model.dSae];
        for (int e = 0; e < codes.size(); e++) {
            sums[codes.latent[e]] += codes.value[e];
        }
        return sums;
    }

    /** BatchTopK: the batch's {@code k · rows} largest pre-activations; updates the running threshold. */
    private SparseCodes batchTopK(NDArray pre, int rows) {
        int keep = (int) Math.min((long) model.k * rows, (long) rows * model.dSae);
        NDList top = pre.reshape(-1).topK(keep, -1, true, false);
        long[] flat = top.get(1).toLongArray();
        float[] values = top.get(0).toFloatArray();
        int[] count = new int[rows + 1];
        float minPositive = Float.POSITIVE_INFINITY;
        for (int e = 0; e < flat.length; e++) {
            count[(int) (flat[e] / model.dSae) + 1]++;
            if (values[e] > 0) {
                minPositive = Math.min(minPositive, values[e]);
            }
        }
        for (int b = 0; b < rows; b++) {
            count[b + 1] += count[b];
        }
        int[] next = Arrays.copyOf(count, rows);
        int[] latent = new int[flat.length];
        float[] value = new float[flat.length];
        for (int e = 0; e < flat.length; e++) {
            int b = (int) (flat[e] / model.dSae);
            int slot = next[b]++;
            latent[slot] = (int) (flat[e] % model.dSae);
            value[slot] = Math.max(values[e], 0f);
        }
        if (minPositive < Float.POSITIVE_INFINITY) {
            model.batchTopKThreshold = model.batchTopKThreshold == 0
                    ? minPositive : 0.99 * model.batchTopKThreshold + 0.01 * minPositive;
        }
        return new SparseCodes(rows, count, latent, value);
    }

    private static double densityOf(NDArray codes) {
        return codes.gt(0f).sum().toType(DataType.FLOAT32, false).getFloat()
                / codes.getShape().size();
    }

    private SparseCodes toSparse(NDArray codes, int rows) {
        float[] z = codes.toFloatArray();
        int s = model.dSae;
        int[] start = new int[rows + 1];
        int n = 0;
        for (float v : z) {
            if (v > 0) {
                n++;
            }
        }
        int[] latent = new int[n];
        float[] value = new float[n];
        int e = 0;
        for (int b = 0; b < rows; b++) {
            start[b] = e;
            for (int i = 0; i < s; i++) {
                float v = z[b * s + i];
                if (v > 0) {
                    latent[e] = i;
                    value[e++] = v;
                }
            }
        }
        start[rows] = e;
        return new SparseCodes(rows, start, latent, value);
    }

    private NDArray toDense(NDManager manager, SparseCodes codes) {
        float[] z = new float[codes.rows * model.dSae];
        for (int b = 0; b < codes.rows; b++) {
            for (int e = codes.rowStart[b]; e < codes.rowStart[b + 1]; e++) {
                z[b * model.dSae + codes.latent[e]] += codes.value[e];
            }
        }
        return manager.create(z, new Shape(codes.rows, model.dSae));
    }
}
