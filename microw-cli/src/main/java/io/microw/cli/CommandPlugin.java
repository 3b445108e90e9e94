package io.microw.cli;

/**
 * A subcommand that another module adds to {@code microw} when its jar is on the classpath, found through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/io.microw.cli.CommandPlugin}); this keeps
 * {@code microw-cli} free of the plug-in's dependencies (for example {@code microw spark}, from {@code microw-spark}).
 */
public interface CommandPlugin {

    /**
     * The subcommand's object: an instance of a class annotated with picocli's {@code @Command}, whose name is the
     * subcommand's name.
     *
     * @return a new command object
     */
    Object command();
}
