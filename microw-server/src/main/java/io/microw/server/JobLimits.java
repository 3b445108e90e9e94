package io.microw.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import io.microw.sae.TrainingRule;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Locale;

/**
 * Bounds on the parameters of an SAE training job that would otherwise only fail once the job runs, or take the
 * machine down: {@code k} below {@code d_sae} for the SAEs that keep k latents, {@code threads} within the machine's
 * cores, and tensors that fit in memory.
 */
final class JobLimits {

    /** Rows of StoreDataLoader's shuffle buffer, as JobRunner builds it for a training job. */
    private static final int SHUFFLE_ROWS = 1 << 14;

    private static final long FLOAT = 4;
    private static final double GIB = 1L << 30;

    private JobLimits() {
    }

    /**
     * An amount of memory: Java heap, and native memory (the engine's tensors).
     *
     * @param heap bytes of heap
     * @param nativeBytes bytes of native memory
     */
    record Memory(long heap, long nativeBytes) {

        /**
         * What a training on this machine may use: the heap limit ({@code -Xmx}), and the physical memory (a
         * container's limit, in a container) beyond it.
         */
        static Memory ofThisMachine() {
            long heap = Runtime.getRuntime().maxMemory();
            long physical = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                    .getTotalMemorySize();
            return new Memory(heap, Math.max(0, physical - heap));
        }

        /** Whether this much memory fits in {@code available}, heap and native each. */
        boolean fitsIn(Memory available) {
            return heap <= available.heap && nativeBytes <= available.nativeBytes;
        }
    }

    /**
     * The "k" of a training request ({@code fallback} when absent): below {@code dSae} for the architectures that keep
     * k of their d_sae latents; at most {@code dSae} for the others, which do not use it.
     */
    static int k(JsonNode body, SaeArchitecture architecture, int dSae, int fallback) {
        if (!architecture.usesK()) {
            return integer(body, "k", Math.min(fallback, dSae), dSae, "d_sae");
        }
        if (dSae < 2) {
            throw ApiException.badRequest("'d_sae' must be at least 2 for a " + architecture.saeLensName()
                    + " SAE, which keeps k of its latents with 1 <= k < d_sae; got " + dSae);
        }
        return integer(body, "k", fallback, dSae - 1, "fewer than d_sae = " + dSae + " for a "
                + architecture.saeLensName() + " SAE");
    }

    /** The "threads" of a training request: 1 to this machine's cores ({@code fallback} capped at the cores). */
    static int threads(JsonNode body, int fallback) {
        int cores = Runtime.getRuntime().availableProcessors();
        return integer(body, "threads", Math.min(fallback, cores), cores, "the cores of this machine");
    }

    /** An integer field from 1 to {@code max}; 400 saying why {@code max} is the bound and what was given. */
    private static int integer(JsonNode body, String field, int fallback, int max, String bound) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > max) {
            throw ApiException.badRequest("'" + field + "' must be an integer from 1 to " + max + " (" + bound
                    + "), got " + v);
        }
        return v.asInt();
    }

    /**
     * Heap and native bytes that the server's trainer ({@code io.microw.sae.train.SaeTrainer}) holds at once while
     * it trains an SAE of {@code dSae} latents on rows of width {@code dIn} in batches of {@code batch} rows, all in
     * float32 (4 bytes); P parameters, as the architecture's shapes say (2·d_in·d_sae + d_sae + d_in, + d_sae thresholds
     * for JumpReLU and BatchTopK); the per-row constants below follow the architecture's training rule:
     * <ul>
     *   <li>heap: 4·P for the trainer's copy of the parameters, their gradients and Adam's two moments
     *       (TrainingModel's ParamTensors); 10·batch·d_in for the batch in training, the two read ahead and the one
     *       being read (StoreActivationSource), its scaled and centred copies, the reconstruction, its gradient, and
     *       AuxK's reconstruction, residual and gradient; 16384·d_in for the shuffle buffer; and for the dense
     *       architectures (standard, JumpReLU) the two d_sae·d_in weight gradients read back from the engine and
     *       the batch's codes (batch·d_sae) when the sparse path takes them;</li>
     *   <li>native: P for the SAE's own tensors; the weights copied into the engine for each step (d_sae·d_in, and
     *       3·d_sae·d_in for the dense architectures: decoder and the two gradient products); 2·batch·d_in for the
     *       centred batch and its product; and c·batch·d_sae for the step's [batch, d_sae] tensors, which all live
     *       until the step ends: c = 3 for TopK and BatchTopK (the pre-activations, with b_enc, and AuxK's masked
     *       copy), 9 for standard (+ codes, active mask, code gradients, the L1 terms) and 13 for JumpReLU (+ the
     *       threshold masks and straight-through terms) (GradientStep).</li>
     * </ul>
     *
     * @return the heap and native bytes
     */
    static Memory trainingNeeds(SaeArchitecture architecture, long dIn, long dSae, long batch) {
        TrainingRule rule = architecture.training().orElseThrow(() -> new IllegalArgumentException(
                architecture.saeLensName() + " SAEs cannot be trained"));
        boolean dense = rule.dense();
        long p = architecture.parameterShapes(SaeConfig.of(architecture, (int) dIn, (int) dSae,
                architecture.usesK() ? 1 : 0)).values().stream()
                .mapToLong(shape -> Arrays.stream(shape).reduce(1, Math::multiplyExact)).sum();
        long perRow = switch (rule) {
            case TOP_K, BATCH_TOP_K -> 3;
            case RELU_L1 -> 9;
            case JUMP_RELU_L0 -> 13;
        };
        long heap = 4 * p + 10 * batch * dIn + SHUFFLE_ROWS * dIn + (dense ? 2 * dSae * dIn + batch * dSae : 0);
        long nativeFloats = p + (dense ? 3 : 1) * dSae * dIn + 2 * batch * dIn + perRow * batch * dSae;
        return new Memory(FLOAT * heap, FLOAT * nativeFloats);
    }

    /**
     * 400 when training would need more heap or native memory than {@code available} (see {@link #trainingNeeds}),
     * with both figures in the message.
     */
    static void requireTrainingFits(SaeArchitecture architecture, int dIn, int dSae, int batch, Memory available) {
        Memory needed = trainingNeeds(architecture, dIn, dSae, batch);
        if (!needed.fitsIn(available)) {
            throw ApiException.badRequest(String.format(Locale.ROOT, "training a %s SAE with d_sae %d on batches of "
                    + "%d rows of width %d needs about %.1f GiB of native memory and %.1f GiB of heap, but this "
                    + "server has %.1f GiB native (physical memory beyond the heap) and %.1f GiB heap (-Xmx); lower "
                    + "'batch_size' or 'd_sae'", architecture.saeLensName(), dSae, batch, dIn, needed.nativeBytes() / GIB,
                    needed.heap() / GIB, available.nativeBytes() / GIB, available.heap() / GIB));
        }
    }
}
