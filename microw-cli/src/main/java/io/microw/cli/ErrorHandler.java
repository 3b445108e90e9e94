package io.microw.cli;

import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;

/**
 * Turns an exception thrown by a command into one clear line on stderr and an exit code: 1 for a usage error found
 * while running (an unknown layer, a bad option value), 2 for a runtime failure; with {@code --verbose} it prints the
 * stack trace as well.
 */
final class ErrorHandler implements IExecutionExceptionHandler {

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        err.println("microw: error: " + describe(ex));
        if (isVerbose(parseResult)) {
            ex.printStackTrace(err);
        } else if (!(ex instanceof io.microw.MicrowException) && !(ex instanceof IllegalArgumentException)) {
            err.println("(run again with --verbose for the stack trace)");
        }
        err.flush();
        return isUsageError(ex) ? Main.EXIT_USAGE : Main.EXIT_ERROR;
    }

    /** Errors in what the user asked for, found only once the command runs. */
    static boolean isUsageError(Throwable ex) {
        return ex instanceof io.microw.lm.UnknownLayerException || ex instanceof CommandLine.ParameterException;
    }

    /** The exception's message, or its class name when it has none; a wrapped cause is named too. */
    static String describe(Throwable ex) {
        String message = ex.getMessage();
        if (message == null || message.isBlank()) {
            message = ex.getClass().getSimpleName();
            if (ex.getCause() != null) {
                message += " caused by " + describe(ex.getCause());
            }
        }
        return message.replace('\n', ' ').strip();
    }

    private static boolean isVerbose(ParseResult result) {
        for (ParseResult r = result; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
