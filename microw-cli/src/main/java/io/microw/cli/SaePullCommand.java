package io.microw.cli;

import io.microw.io.hub.PretrainedOptions;
import io.microw.sae.PretrainedSaes;
import io.microw.sae.SaeRelease;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code microw sae pull RELEASE SAE_ID}: download a published SAE's files into the Hugging Face cache. */
@Command(name = "pull",
        description = "Download a published SAE (a release and id of SAELens' registry) into the Hugging Face cache: "
                + "only the files it needs. Prints the local folder, usable as --sae DIR (or use --sae RELEASE:ID).",
        footer = {"", "Examples:",
            "  microw sae pull gemma-scope-2b-pt-res-canonical layer_12/width_16k/canonical",
            "  microw sae pull --json brown-gpt2-res blocks.2.hook_resid_post"})
final class SaePullCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "RELEASE", description = "The release, e.g. gemma-scope-2b-pt-res.")
    String release;

    @Parameters(index = "1", paramLabel = "SAE_ID", description = "The SAE's id in the release.")
    String saeId;

    @Option(names = "--offline", description = "Use only the local cache (as HF_HUB_OFFLINE=1).")
    boolean offline;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Mixin
    SaeRegistryOptions registry;

    @Override
    public Integer call() {
        PretrainedOptions options = PretrainedOptions.defaults();
        if (offline) {
            options = options.withOffline(true);
        }
        PretrainedSaes saes = registry.registry();
        SaeSupport.checkRegistered(spec.commandLine(), saes, release, saeId);
        SaeRelease r = saes.release(release);
        Path folder = saes.download(release, saeId, options);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("release", release);
            m.put("sae_id", saeId);
            m.put("repo_id", r.repoId());
            m.put("model", r.model());
            m.put("path", r.sae(saeId).path());
            m.put("folder", folder.toString());
            Json.print(out, m);
        } else {
            out.printf("%s : %s (%s, model %s)%n%s%n", release, saeId, r.repoId(), r.model(), folder);
            out.flush();
        }
        return 0;
    }
}
