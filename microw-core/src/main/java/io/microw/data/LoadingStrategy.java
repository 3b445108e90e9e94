package io.microw.data;

/**
 * Where a file dataset's rows live between passes, as in mi-crow's loading strategies.
 */
public enum LoadingStrategy {
    /** Read once, kept in memory: the length is known and a shuffle is a full permutation. */
    IN_MEMORY,
    /** Read lazily from the file on each pass; the length is counted once (one extra pass) when asked. */
    ON_DISK,
    /** Never all in memory, never counted: the length is unknown and a shuffle uses a bounded buffer. */
    STREAMING
}
