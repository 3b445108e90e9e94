package io.microw.cli;

import sun.misc.Signal;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Collectors;

/**
 * Starts the {@code microw} command again, in a child JVM whose environment holds microw's defaults
 * ({@link EngineEnvironment}), when it was started without them ({@code java -jar microw.jar ...}). These variables
 * must be set before the process starts (glibc, the dynamic linker) or libtorch and its OpenMP runtime load, and a
 * running JVM cannot change its own environment, so this is the only way to give plain {@code java -jar} the defaults.
 * The child gets the same command line (java binary, JVM options, jar or class path, arguments), inherits the terminal,
 * and its exit code becomes ours. Ctrl-C reaches the child directly (same process group), so this process ignores it
 * and waits; a termination signal sent to this process alone is passed on. Without {@code --verbose}, the child's
 * stderr comes through an {@link EngineLogFilter}, which leaves out libtorch's own warnings (written by native code,
 * out of any Java logger's reach); with it, the child writes to the terminal directly. When the command line cannot be
 * read, nothing happens (one warning line). JVM options that cannot run twice at once (a debug agent listening on a
 * fixed port) need the variables set by the user, or {@code MICROW_OMP_DEFAULT=0} (no defaults), which skips the
 * relaunch.
 */
final class EngineRelaunch {

    private EngineRelaunch() {
    }

    /**
     * Runs the command in a child JVM with microw's engine defaults if this process lacks one of them.
     *
     * @param err       where the warning goes when relaunching is impossible
     * @param engineLog whether libtorch's own warnings should show ({@code --verbose})
     * @return the child's exit code, or empty when this process should run the command itself
     */
    static OptionalInt ifNeeded(PrintStream err, boolean engineLog) {
        if (!EngineEnvironment.needsDefaults(System.getenv())) {
            return OptionalInt.empty();
        }
        Optional<List<String>> command = command();
        if (command.isEmpty()) {
            err.println("microw: warning: this JVM's command line cannot be read to restart with " + defaults()
                    + "; export them for full speed");
            return OptionalInt.empty();
        }
        ProcessBuilder builder = new ProcessBuilder(command.get()).inheritIO();
        if (!engineLog) {
            builder.redirectError(ProcessBuilder.Redirect.PIPE);
        }
        EngineEnvironment.applyDefaults(builder.environment());
        try {
            Process child = builder.start();
            Thread stderr = engineLog ? null : filterStderr(child);
            int code = runToEnd(child);
            if (stderr != null) {
                join(stderr);
            }
            return OptionalInt.of(code);
        } catch (IOException e) {
            err.println("microw: warning: cannot restart with " + defaults() + " (" + e.getMessage()
                    + "); running without them");
            return OptionalInt.empty();
        }
    }

    /** microw's defaults as shell assignments, e.g. {@code OMP_WAIT_POLICY=PASSIVE GLIBC_TUNABLES=...}. */
    private static String defaults() {
        return EngineEnvironment.VARIABLES.stream().filter(v -> v.value() != null).map(v -> v.name() + "=" + v.value())
                .collect(Collectors.joining(" "));
    }

    /**
     * This JVM's full command line (executable first), from {@code /proc/self/cmdline} on Linux (the JDK's
     * {@link ProcessHandle.Info#arguments()} drops long ones, such as a long class path), else from the JDK.
     *
     * @return the command and its arguments, or empty when the platform does not tell
     */
    static Optional<List<String>> command() {
        Path cmdline = Path.of("/proc/self/cmdline");
        if (Files.isReadable(cmdline)) {
            try {
                return parseCmdline(Files.readAllBytes(cmdline));
            } catch (IOException e) {
                // fall back to the JDK's view
            }
        }
        ProcessHandle.Info info = ProcessHandle.current().info();
        if (info.command().isEmpty() || info.arguments().isEmpty()) {
            return Optional.empty();
        }
        List<String> command = new ArrayList<>();
        command.add(info.command().get());
        command.addAll(List.of(info.arguments().get()));
        return Optional.of(command);
    }

    /**
     * The arguments in the contents of a {@code /proc/PID/cmdline} file (NUL-terminated strings).
     *
     * @param bytes the file's contents
     * @return the arguments, or empty when there are none
     */
    static Optional<List<String>> parseCmdline(byte[] bytes) {
        List<String> args = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == 0) {
                if (i > start || i < bytes.length) {
                    args.add(new String(bytes, start, i - start, StandardCharsets.UTF_8));
                }
                start = i + 1;
            }
        }
        return args.isEmpty() ? Optional.empty() : Optional.of(args);
    }

    /** Copies the child's stderr to ours through an {@link EngineLogFilter}, on a thread of its own. */
    private static Thread filterStderr(Process child) {
        OutputStream ours = new FileOutputStream(FileDescriptor.err);
        Thread t = new Thread(() -> {
            try {
                new EngineLogFilter(child.getErrorStream(), ours).copy();
            } catch (IOException e) {
                // our stderr is gone: nothing left to report to
            }
        }, "microw-stderr");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void join(Thread t) {
        while (true) {
            try {
                t.join();
                return;
            } catch (InterruptedException e) {
                // keep waiting: the child has ended, its last lines are on their way
            }
        }
    }

    private static int runToEnd(Process child) {
        ignore("INT");
        forward("TERM", child);
        forward("HUP", child);
        while (true) {
            try {
                return child.waitFor();
            } catch (InterruptedException e) {
                child.destroy();
            }
        }
    }

    private static void ignore(String signal) {
        try {
            Signal.handle(new Signal(signal), s -> { });
        } catch (IllegalArgumentException e) {
            // the signal does not exist here, or the JVM reserves it: keep the default
        }
    }

    private static void forward(String signal, Process child) {
        try {
            Signal.handle(new Signal(signal), s -> child.destroy());
        } catch (IllegalArgumentException e) {
            // as above
        }
    }
}
