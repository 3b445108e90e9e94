package io.microw.spark;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * Turns a failed Spark job back into the executor's own error: Spark reports a task's failure at the driver as a
 * {@code SparkException} ("Job aborted due to stage failure: ... Lost task ...") whose cause chain (or, when the
 * executor's exception could not be sent, whose message) holds the executor's {@link ModelLoadException}. The one-line
 * message of that exception is what a user needs.
 */
public final class SparkFailures {

    private static final String MARKER = ModelLoadException.class.getName() + ": ";

    private SparkFailures() {
    }

    /**
     * Runs a Spark action, rethrowing a task's model load failure as the executor's {@link ModelLoadException} (the
     * Spark exception attached as suppressed); any other failure is rethrown as it is.
     *
     * @param action the action (a job)
     * @param <T>    its result
     * @return the result
     */
    public static <T> T run(Supplier<T> action) {
        try {
            return action.get();
        } catch (Exception e) { // Spark's Scala code throws its checked SparkException too
            throw modelLoadFailure(e).orElseThrow(() -> SparkFailures.<RuntimeException>rethrown(e));
        }
    }

    /**
     * The executor's {@link ModelLoadException} behind {@code failure}: found in its cause chain, else rebuilt from
     * the {@code ModelLoadException: ...} line of a message in the chain.
     *
     * @param failure what a Spark action threw
     * @return the model load failure, or empty when there is none
     */
    public static Optional<ModelLoadException> modelLoadFailure(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof ModelLoadException loadFailure) {
                if (loadFailure != failure) {
                    loadFailure.addSuppressed(failure);
                }
                return Optional.of(loadFailure);
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String message = t.getMessage();
            int at = message == null ? -1 : message.indexOf(MARKER);
            if (at >= 0) {
                int end = message.indexOf('\n', at);
                String line = message.substring(at + MARKER.length(), end < 0 ? message.length() : end).strip();
                return Optional.of(new ModelLoadException(line, failure));
            }
        }
        return Optional.empty();
    }

    /** Rethrows {@code e} unchanged, checked or not. */
    @SuppressWarnings("unchecked")
    private static <E extends Exception> E rethrown(Exception e) throws E {
        throw (E) e;
    }
}
