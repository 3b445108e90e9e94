package io.microw.spark;

import io.microw.MicrowException;

/**
 * A model ({@link ModelRef}), SAE ({@link SaeRef}) or direction ({@link DirectionRef}) could not be loaded in a JVM of
 * the job; the message, one line, says which, where and why ({@link SparkFailures} brings it back from an executor).
 */
public final class ModelLoadException extends MicrowException {

    /**
     * @param message what could not be loaded, where, and why
     * @param cause   the loader's error
     */
    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
