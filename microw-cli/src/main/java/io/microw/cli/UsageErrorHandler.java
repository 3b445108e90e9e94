package io.microw.cli;

import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.PrintWriter;

/**
 * Prints a bad command line (an unknown flag, a missing or out-of-range value, found while parsing or while the
 * command runs) as one line, {@code microw: error: <why> (see 'microw model run --help')}, instead of the whole
 * usage; a mistyped flag also gets picocli's "Did you mean" suggestions. Exits with {@link Main#EXIT_USAGE}.
 */
final class UsageErrorHandler implements IParameterExceptionHandler {

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println("microw: error: " + ErrorHandler.describe(ex) + " (see '"
                + cmd.getCommandSpec().qualifiedName() + " --help')");
        UnmatchedArgumentException.printSuggestions(ex, err);
        err.flush();
        return Main.EXIT_USAGE;
    }
}
