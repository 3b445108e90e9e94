package io.microw.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.OptionalInt;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;

/**
 * The {@code microw} command: a runnable entry point with subcommands ({@code demo}, {@code layers},
 * {@code activations}, {@code bench}). Exit codes: 0 success, 1 usage error (unknown flag, missing argument, bad
 * value, unknown layer), 2 runtime failure (one line on stderr; a stack trace with {@code --verbose}).
 */
@Command(name = "microw",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Mechanistic interpretability for language models on the JVM.",
        subcommands = {DemoCommand.class, LayersCommand.class, ModelCommand.class, ActivationsCommand.class,
            SaeCommand.class, ConceptsCommand.class, SteerCommand.class, PatchCommand.class, AttributeCommand.class,
            LensCommand.class, ProbeCommand.class, BenchCommand.class, ServeCommand.class,
            CommandLine.HelpCommand.class},
        footer = {"", "Options with a default can also come from the environment (--store: MICROW_STORE) or a",
            "properties file ($MICROW_CONFIG, else ~/.microw/config.properties: activations.save.store=... or store=...).",
            "Exit codes: 0 success, 1 usage error, 2 runtime failure.",
            "Jobs on Apache Spark (microw spark ...) come with the microw-spark jar on the classpath.", "",
            "Start with: microw demo"})
public final class Main implements Callable<Integer> {

    /** Exit code of a command line that could not be used: unknown flag, missing argument, bad value, unknown layer. */
    public static final int EXIT_USAGE = 1;
    /** Exit code of a command that failed while running. */
    public static final int EXIT_ERROR = 2;

    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Show log messages (DJL's, and libtorch's own warnings) and full stack traces of errors.")
    boolean verbose;

    /** {@code microw} alone: prints the usage to stderr and exits with the usage code. */
    @Override
    public Integer call() {
        spec.commandLine().getErr().println("microw: a subcommand is required");
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_USAGE;
    }

    /** A configured command line; tests use it to run commands in-process with their own writers. */
    public static CommandLine commandLine() {
        CommandLine cmd = new CommandLine(new Main());
        ServiceLoader.load(CommandPlugin.class).forEach(plugin -> cmd.addSubcommand(plugin.command()));
        cmd.setExecutionExceptionHandler(new ErrorHandler());
        cmd.setParameterExceptionHandler(new UsageErrorHandler());
        cmd.setDefaultValueProvider(ConfigDefaults.fromEnvironment());
        useUsageExitCode(cmd);
        return cmd;
    }

    /** Bad command lines (picocli's "invalid input") exit with {@link #EXIT_USAGE}, in every subcommand. */
    private static void useUsageExitCode(CommandLine cmd) {
        cmd.getCommandSpec().exitCodeOnInvalidInput(EXIT_USAGE);
        cmd.getSubcommands().values().forEach(Main::useUsageExitCode);
    }

    /**
     * Runs the command line and exits with its code. Started without microw's engine defaults
     * ({@link EngineEnvironment}), it first restarts itself with them ({@link EngineRelaunch}), before anything loads
     * libtorch, and filters the restarted command's stderr; a command that runs without that restart (the user set the
     * variables, or opted out) raises libtorch's log level instead ({@link EngineLogLevel}). Either way libtorch's own
     * warnings show only with {@code --verbose}.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        boolean verbose = Logging.isVerbose(args);
        OptionalInt relaunched = EngineRelaunch.ifNeeded(System.err, verbose);
        if (relaunched.isPresent()) {
            System.exit(relaunched.getAsInt());
        }
        Logging.configure(verbose);
        CommandLine cmd = commandLine();
        if (!verbose && !EngineEnvironment.appliedByMicrow(System.getenv())) {
            // no restart filters this process's stderr: libtorch's warnings are turned off where they are written
            cmd.setExecutionStrategy(parsed -> {
                if (runsACommand(parsed)) {
                    EngineLogLevel.errorsOnly();
                }
                return new CommandLine.RunLast().execute(parsed);
            });
        }
        System.exit(cmd.execute(args));
    }

    /** Whether a parsed command line runs a subcommand, rather than printing help or the version. */
    static boolean runsACommand(CommandLine.ParseResult parsed) {
        if (!parsed.hasSubcommand()) {
            return false;
        }
        for (CommandLine.ParseResult p = parsed; p != null; p = p.hasSubcommand() ? p.subcommand() : null) {
            if (p.isUsageHelpRequested() || p.isVersionHelpRequested()) {
                return false;
            }
        }
        return true;
    }
}
