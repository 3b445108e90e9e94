package io.microw.cli;

import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

import java.util.function.Supplier;

/**
 * Calls into the core for a command: the core's refusal of what it was given (an {@link IllegalArgumentException},
 * thrown before any forward: prompts of different lengths, a head out of range) becomes a one-line usage error.
 */
final class CoreInput {

    private CoreInput() {
    }

    /** The value of {@code call}; its {@link IllegalArgumentException} rethrown as a usage error of {@code cmd}. */
    static <T> T checked(CommandLine cmd, Supplier<T> call) {
        try {
            return call.get();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(cmd, e.getMessage(), e);
        }
    }
}
