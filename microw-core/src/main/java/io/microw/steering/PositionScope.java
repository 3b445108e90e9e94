package io.microw.steering;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.microw.hooks.HookCall;
import io.microw.nn.ForwardBatch;

import java.util.Objects;

/**
 * Which token positions an activation edit (a steering vector, an SAE manipulation) applies to.
 *
 * <p>How a position is classified, from the {@link ForwardBatch} of the hook call alone (no global state):
 * <ul>
 *   <li>Outside generation ({@code generationStep == -1}: {@code executeInference}, {@code forward}) every
 *       token is a prompt token.</li>
 *   <li>During {@code generate}, step {@code k} (0 is the prompt forward) sees an attention mask of
 *       {@code L = promptWidth + k} columns, since each step appends one token to every row. Columns
 *       {@code [0, L - k)} are the (left-padded) prompt, columns {@code [L - k, L)} the generated tokens. The
 *       forward computes columns {@code [past, L)}: with the KV cache that is the whole prompt at step 0 and
 *       only the new token at later steps; without a cache it would be everything, and the rule still holds.</li>
 *   <li>Padding (attention mask 0) is never edited, whatever the scope.</li>
 * </ul>
 * The first generated token is sampled from the last prompt position, so under {@link #GENERATED} it is chosen
 * without the edit; the edit acts from the first generated token's own forward on. Rows that already stopped
 * at EOS keep being fed a pad token with mask 1 during generation; those positions count as generated (their
 * outputs are discarded by {@code generate}).
 */
public enum PositionScope {
    /** Every real (non-padding) token. */
    ALL,
    /** Prompt tokens only: every token outside generation, the prompt forward's tokens during generation. */
    PROMPT,
    /** Tokens produced by {@code generate} only; nothing outside generation. */
    GENERATED;

    /**
     * The positions this scope edits in the forward of {@code call}: a float32 tensor [batch, seq] on the
     * activations' device, 1 where the edit applies and 0 elsewhere (padding is always 0). {@code seq} is the
     * number of tokens computed in this forward (with a KV cache, 1 after the prompt). Made with the call's
     * manager, so it is freed when the forward ends. Reshape it to [batch, seq, 1] to broadcast over features.
     *
     * @param call the hook call of the current forward
     * @return the mask, [batch, seq]
     */
    public NDArray mask(HookCall call) {
        Objects.requireNonNull(call, "call");
        ForwardBatch batch = requireBatch(call);
        NDManager manager = call.manager();
        float[] flat = flatMask(batch);
        NDArray mask = manager.create(flat, new Shape(batch.batchSize(), batch.seqLength()));
        NDArray act = call.activations();
        if (act != null && !act.getDevice().equals(mask.getDevice())) {
            mask = mask.toDevice(act.getDevice(), false);
        }
        return mask;
    }

    /**
     * {@code scope.mask(call)}: the [batch, seq] float32 mask of the positions {@code scope} edits.
     *
     * @param call the hook call of the current forward
     * @param scope the position scope
     * @return the mask, [batch, seq]
     */
    public static NDArray mask(HookCall call, PositionScope scope) {
        return Objects.requireNonNull(scope, "scope").mask(call);
    }

    /**
     * The same mask on the heap, [batch][seq], {@code true} where the edit applies. Cheap: reads only the
     * attention mask and the generation step.
     *
     * @param batch the forward's batch
     * @return the mask, [batch][seq]
     */
    public boolean[][] positions(ForwardBatch batch) {
        Objects.requireNonNull(batch, "batch");
        float[] flat = flatMask(batch);
        int b = batch.batchSize();
        int s = batch.seqLength();
        boolean[][] out = new boolean[b][s];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < s; j++) {
                out[i][j] = flat[i * s + j] != 0f;
            }
        }
        return out;
    }

    /**
     * Whether this scope can edit anything in a forward of {@code batch}, from the generation step alone
     * (no tensor is read): PROMPT edits nothing in generation steps after the prompt, GENERATED nothing outside
     * generation or in the prompt forward. A controller may skip its work when this is false.
     *
     * @param batch the forward's batch
     * @return whether any position may be edited
     */
    public boolean mayApply(ForwardBatch batch) {
        Objects.requireNonNull(batch, "batch");
        int step = batch.generationStep();
        switch (this) {
            case ALL:
                return true;
            case PROMPT:
                // Without a KV cache a later step recomputes the prompt too.
                return step <= 0 || batch.pastLength() < promptWidth(batch);
            case GENERATED:
                return step > 0;
            default:
                throw new AssertionError(this);
        }
    }

    private static ForwardBatch requireBatch(HookCall call) {
        ForwardBatch batch = call.batch();
        if (batch == null) {
            throw new IllegalArgumentException("hook call on layer '" + call.layer() + "' carries no batch "
                    + "(ids, attention mask, generation step): cannot tell which positions to edit");
        }
        return batch;
    }

    /** Mask columns that hold the prompt (padding included): all of them outside generation. */
    private static int promptWidth(ForwardBatch batch) {
        int total = batch.pastLength() + batch.seqLength();
        return batch.generationStep() <= 0 ? total : total - batch.generationStep();
    }

    /** Row-major [batch * seq] mask. */
    private float[] flatMask(ForwardBatch batch) {
        int b = batch.batchSize();
        int s = batch.seqLength();
        int past = batch.pastLength();
        int total = past + s;
        long[] attention = batch.attentionMask().toType(DataType.INT64, false).toLongArray();
        if (attention.length != (long) b * total) {
            throw new IllegalStateException("attention mask has " + attention.length + " values, expected batch "
                    + b + " x " + total + " (past " + past + " + seq " + s + ")");
        }
        int promptWidth = promptWidth(batch);
        float[] out = new float[b * s];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < s; j++) {
                int column = past + j;
                if (attention[i * total + column] == 0) {
                    continue;
                }
                boolean prompt = column < promptWidth;
                boolean edit = this == ALL || (this == PROMPT) == prompt;
                out[i * s + j] = edit ? 1f : 0f;
            }
        }
        return out;
    }
}
