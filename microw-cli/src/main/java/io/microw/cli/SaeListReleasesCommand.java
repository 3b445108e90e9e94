package io.microw.cli;

import io.microw.sae.PretrainedSaes;
import io.microw.sae.SaeRelease;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code microw sae list-releases [--model M]}: the releases of the registry of published SAEs. */
@Command(name = "list-releases",
        description = "List the releases of published SAEs (SAELens' registry and the embedded ones): name, model, "
                + "format, number of SAEs and repository. --json adds every SAE id.",
        footer = {"", "Examples:",
            "  microw sae list-releases --model gemma-2-2b",
            "  microw sae list-releases --model brown-gpt2 --json"})
final class SaeListReleasesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--model", paramLabel = "M",
            description = "Only releases for this model (SAELens' name, e.g. gpt2-small, gemma-2-2b; an owner/ prefix "
                    + "is ignored).")
    String model;

    @Option(names = "--json", description = "Print as JSON, with each release's SAE ids.")
    boolean json;

    @Mixin
    SaeRegistryOptions registry;

    @Override
    public Integer call() {
        PretrainedSaes saes = registry.registry();
        List<SaeRelease> releases = model == null ? saes.releases() : saes.releasesFor(model);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (SaeRelease r : releases) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("release", r.name());
                m.put("model", r.model());
                m.put("converter", r.converter());
                m.put("repo_id", r.repoId());
                m.put("embedded", r.embedded());
                m.put("sae_ids", r.saes().stream().map(SaeRelease.Entry::id).toList());
                list.add(m);
            }
            Json.print(out, Map.of("releases", list));
            return 0;
        }
        if (releases.isEmpty()) {
            out.println("no releases" + (model == null ? "" : " for model '" + model + "'"));
        }
        for (SaeRelease r : releases) {
            out.printf(Locale.ROOT, "%-50s %-28s %-22s %5d  %s%n", r.name(), r.model(), r.converter(), r.saes().size(),
                    r.repoId());
        }
        out.flush();
        return 0;
    }
}
