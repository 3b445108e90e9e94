package io.microw.cli;

import java.util.Arrays;

/**
 * Sets slf4j-simple's log level before the first logger exists: warnings only, unless {@code --verbose}
 * is on the command line.
 */
final class Logging {

    private static final String LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
    private static final String CUDA = "org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils";

    private Logging() {
    }

    static boolean isVerbose(String[] args) {
        return Arrays.asList(args).contains("--verbose");
    }

    static void configure(boolean verbose) {
        if (System.getProperty(LEVEL) == null) {
            System.setProperty(LEVEL, verbose ? "info" : "warn");
        }
        if (!verbose && System.getProperty(CUDA) == null) {
            // Logged on every CPU-only machine when DJL probes for a GPU; noise for a CLI user.
            System.setProperty(CUDA, "error");
        }
    }
}
