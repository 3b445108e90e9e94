package io.microw.server;

/**
 * What a {@link JobRunner} does after each progress report of a running job, before its work goes on: nothing on a
 * server ({@link #NONE}); a caller that needs a job to stay running while it acts on it (cancels it, stops the
 * server, watches its chart grow) hands the runner its own pacing.
 */
@FunctionalInterface
interface JobPacing {

    /** Goes straight on. */
    JobPacing NONE = jobId -> {
    };

    /**
     * Called on the job thread after job {@code jobId} has recorded and published a progress report.
     *
     * @param jobId the job that reported
     */
    void afterReport(String jobId);
}
