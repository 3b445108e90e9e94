package io.microw.spark.cli;

import io.microw.cli.CommandPlugin;

/** Registers {@code microw spark} with the {@code microw} command (listed in {@code META-INF/services}). */
public final class SparkPlugin implements CommandPlugin {

    /** @return a new {@link SparkCommand} */
    @Override
    public Object command() {
        return new SparkCommand();
    }
}
