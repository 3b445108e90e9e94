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

    /** Reports the progress of {@code file}. */
    void onProgress(String file, long bytesDone, long totalBytes);
}
