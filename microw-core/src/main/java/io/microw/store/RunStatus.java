package io.microw.store;

import java.util.Locale;

/**
 * The {@code status} of an activation run's {@code meta.json}. A run is {@link #RUNNING} while its writer works;
 * it ends {@link #COMPLETE}, {@link #FAILED} (an error), {@link #CANCELLED} (stopped on request: Ctrl-C, a server
 * job's cancel) or {@link #INTERRUPTED} (its writer stopped before the end: a server shutting down, or a process
 * killed, which {@link LocalStore#runMetadata} reports for a run whose recorded writer is gone). Every run but a
 * complete one can be resumed from its last complete batch.
 */
public enum RunStatus {
    /** Being written. */
    RUNNING,
    /** Every batch written. */
    COMPLETE,
    /** Stopped by an error. */
    FAILED,
    /** Stopped on request (Ctrl-C, a job's cancel). */
    CANCELLED,
    /** Stopped before the end by a shutdown, or its writer process is gone. */
    INTERRUPTED;

    /**
     * The name in {@code meta.json}: the constant in lower case.
     *
     * @return "running", "complete", "failed", "cancelled" or "interrupted"
     */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
