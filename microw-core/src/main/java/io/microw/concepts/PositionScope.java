package io.microw.concepts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.microw.hooks.HookCall;
import io.microw.nn.ForwardBatch;

/**
 * Which token positions an edit applies to. Padding is never edited. During {@code generate} (which runs the prompt
 * as step 0, then one forward per new token with a KV cache) PROMPT means the prompt forward's tokens and GENERATED
 * the new tokens' forwards; outside generation every token is a prompt token.
 */
public enum PositionScope {
    ALL, PROMPT, GENERATED;

    /** A float {@code [batch, seq, 1]} mask, in the call's manager: 1 where this forward's token is edited. */
    public NDArray mask(HookCall call) {
        ForwardBatch batch = call.batch();
        int seq = batch.seqLength();
        NDArray real = batch.attentionMask().get(new NDIndex(":, {}:", batch.pastLength()))
                .toType(DataType.FLOAT32, false);
        boolean generated = batch.generationStep() > 0;
        boolean keep = switch (this) {
            case ALL -> true;
            case PROMPT -> !generated;
            case GENERATED -> generated;
        };
        NDArray mask = keep ? real : real.zerosLike();
        NDArray out = mask.reshape(batch.batchSize(), seq, 1);
        out.attach(call.manager());
        return out;
    }
}
