package io.microw.cli;

import io.microw.analysis.ActivationPatching;
import io.microw.analysis.PatchingResult;
import io.microw.analysis.PatchingSweeps;
import picocli.CommandLine;

import java.util.function.Function;

/**
 * Runs an activation patching sweep for a command ({@code microw patch}, {@code microw attribute --compare}): at most
 * {@code --max-batch} patched copies per forward, the cells done drawn on a progress line on stderr, the core's
 * refusal of the input a usage error.
 */
final class ExactSweep {

    private ExactSweep() {
    }

    /**
     * Runs {@code sweep} on the default sweeps with these settings.
     *
     * @param cmd      the command, for its stderr and its usage errors
     * @param progress whether to draw the progress line
     * @param maxBatch patched copies per forward
     * @param cells    the cells the sweep has, for the progress line
     * @param detail   what the progress line says is running
     * @param sweep    the sweep to run
     * @return its table
     */
    static PatchingResult run(CommandLine cmd, boolean progress, int maxBatch, long cells, String detail,
                              Function<PatchingSweeps, PatchingResult> sweep) {
        ProgressLine line = new ProgressLine(cmd.getErr(), progress);
        try {
            PatchingSweeps sweeps = ActivationPatching.defaults().withMaxBatch(maxBatch)
                    .withProgress(done -> line.update(done, cells, "cells", detail));
            return CoreInput.checked(cmd, () -> sweep.apply(sweeps));
        } finally {
            line.finish();
        }
    }
}
