package io.microw.io.hub;

/**
 * Told how a download goes: called with the file's name in the repository, the bytes it has so far (a resumed
 * download starts above 0) and its total size ({@code -1} when unknown). The last call for a file has
 * {@code bytesDone == totalBytes}. Calls come from the downloading thread, at most every few hundred
 * kilobytes, so implementations need not throttle.
 */
@FunctionalInterface
public interface ProgressListener {

    /** A listener that ignores everything. */
    ProgressListener NONE = (file, bytesDone, totalBytes) -> { };

    /**
     * Reports the progress of {@code file}.
     *
     * @param file       the file's path in the repository
     * @param bytesDone  the bytes of the file present so far
     * @param totalBytes the file's size, or {@code -1} when unknown
     */
    void onProgress(String file, long bytesDone, long totalBytes);
}
