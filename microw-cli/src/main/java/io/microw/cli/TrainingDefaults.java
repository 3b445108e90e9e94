package io.microw.cli;

import io.microw.frontend.TrainingJobSpec;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.Map;

/** {@code microw sae train}'s option defaults, read from {@link TrainingJobSpec#defaults()} (shared with the server). */
final class TrainingDefaults implements IDefaultValueProvider {

    private static final Map<String, String> BY_OPTION = byOption(TrainingJobSpec.defaults());

    @Override
    public String defaultValue(ArgSpec argSpec) {
        return argSpec instanceof OptionSpec o ? BY_OPTION.get(o.longestName()) : null;
    }

    private static Map<String, String> byOption(TrainingJobSpec d) {
        return Map.ofEntries(Map.entry("--architecture", d.architecture()),
                Map.entry("--d-sae", Integer.toString(d.dSae())), Map.entry("--k", Integer.toString(d.k())),
                Map.entry("--lr", Double.toString(d.lr())),
                Map.entry("--lr-warm-up-steps", Integer.toString(d.lrWarmUpSteps())),
                Map.entry("--lr-decay-steps", Integer.toString(d.lrDecaySteps())),
                Map.entry("--batch-size", Integer.toString(d.batchSize())),
                Map.entry("--l1", Double.toString(d.l1Coefficient())),
                Map.entry("--l0", Double.toString(d.l0Coefficient())), Map.entry("--seed", Long.toString(d.seed())),
                Map.entry("--metrics-every", Integer.toString(d.metricsEvery())),
                Map.entry("--threads", Integer.toString(d.threads())));
    }
}
