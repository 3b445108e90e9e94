package io.microw.server;

import io.microw.io.hub.PretrainedOptions;

/**
 * The {@link JobPacing} of a test's server: no pause until the test asks for one, then a pause after each progress
 * report, so that a job is still running when the test cancels it, stops the server or watches it report.
 */
final class PausingPacing implements JobPacing {

    private volatile long millis;

    /** Pauses {@code ms} milliseconds after each progress report from now on; 0 for none. */
    void pause(long ms) {
        millis = ms;
    }

    @Override
    public void afterReport(String jobId) {
        long ms = millis;
        if (ms > 0) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A server for {@code config} whose jobs this pacing paces. */
    MicrowServer server(ServerConfig config) {
        return new MicrowServer(config, PretrainedOptions.defaults(), this);
    }
}
