package io.microw.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.models.ModelConfig;

import java.util.function.IntConsumer;

/**
 * A circuits request checked against a loaded model that answers in the request when small and runs as a job when
 * large: exact patching ({@link PatchingRequest}) or attribution patching ({@link AttributionRequest}). Its progress
 * counts cells.
 */
interface CircuitSweep {

    /**
     * What the request measures, for the job's log.
     *
     * @return e.g. {@code resid-pre}
     */
    String what();

    /**
     * The cells the request reports as its progress, up to which {@link #answer}'s progress counts.
     *
     * @param c the model's config
     * @return the count
     */
    int cells(ModelConfig c);

    /**
     * Whether the request is large enough to run as a job when it does not say.
     *
     * @param c the model's config
     * @return true for a job
     */
    boolean large(ModelConfig c);

    /**
     * Runs the request on {@code l} (the caller holds a lease) under the model's lock.
     *
     * @param l        the model
     * @param progress called with the cells measured so far
     * @return the answer, the same in the request and as a job's result
     */
    ObjectNode answer(ModelRegistry.Loaded l, IntConsumer progress);

    /**
     * The clean prompt's token ids.
     *
     * @return the ids
     */
    long[] clean();

    /**
     * The corrupted prompt's token ids.
     *
     * @return the ids
     */
    long[] corrupt();
}
