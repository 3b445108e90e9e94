package io.microw.lm;

import io.microw.MicrowException;
import io.microw.store.RunStatus;

/**
 * Stops {@link Activations#saveActivations} on request: thrown from the {@link SaveOptions#withProgress progress
 * listener} (after a batch is on disk), it ends the run with the batches written so far, records
 * {@link #status()} ({@code cancelled} for a user's cancel or Ctrl-C, {@code interrupted} for a shutdown) in
 * {@code meta.json}, and reaches the caller as it was thrown. The run can be resumed from its last complete batch.
 */
public final class SaveStoppedException extends MicrowException {

    private final RunStatus status;

    /**
     * A request to stop, recorded as {@code status}.
     *
     * @param status {@link RunStatus#CANCELLED} or {@link RunStatus#INTERRUPTED}
     * @param reason why the run stops ("cancelled by the user"), for messages
     */
    public SaveStoppedException(RunStatus status, String reason) {
        super(reason);
        if (status != RunStatus.CANCELLED && status != RunStatus.INTERRUPTED) {
            throw new IllegalArgumentException("a stopped run is recorded cancelled or interrupted, not " + status);
        }
        this.status = status;
    }

    /**
     * The status the run's {@code meta.json} records.
     *
     * @return {@link RunStatus#CANCELLED} or {@link RunStatus#INTERRUPTED}
     */
    public RunStatus status() {
        return status;
    }
}
