package io.microw.cli;

import io.microw.concepts.ConceptDictionary;
import io.microw.sae.Sae;
import io.microw.sae.SaeConfig;
import io.microw.sae.SaeLensFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/** {@code microw sae info}: an SAE's config, parameter shapes, input scale and sparsity file. */
@Command(name = "info",
        description = "Show an SAE folder: its config, parameter shapes, input scale and firing densities (when saved).",
        footer = {"", "Example:", "  microw sae info --sae sae-h2/sae --json"})
final class SaeInfoCommand implements Callable<Integer> {

    /** Latents with log10 density below this count as dead in the summary (SAELens' convention). */
    static final double DEAD_LOG10 = -9;

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--sae", required = true, paramLabel = "DIR|RELEASE:ID", converter = SaeSource.Converter.class,
            description = "SAE folder (SAELens layout), or a published SAE by release and id (RELEASE:ID).")
    SaeSource source;

    @Option(names = "--json", description = "Print as JSON.")
    boolean json;

    @Override
    public Integer call() {
        Map<String, Object> m = new LinkedHashMap<>();
        Path saeDir;
        try (Sae sae = SaeSupport.openSae(spec.commandLine(), source)) {
            saeDir = source.folder(sae);
            SaeConfig c = sae.config();
            m.put("path", saeDir.toString());
            m.put("architecture", c.architecture().saeLensName());
            m.put("d_in", c.dIn());
            m.put("d_sae", c.dSae());
            m.put("k", c.k());
            m.put("apply_b_dec_to_input", c.applyBDecToInput());
            m.put("model_name", c.modelName());
            m.put("hook_name", c.hookName());
            m.put("input_scale", sae.inputScale());
            Map<String, Object> shapes = new LinkedHashMap<>();
            long params = 0;
            for (String name : sae.parameterNames()) {
                long[] shape = sae.parameterShape(name);
                shapes.put(name, Arrays.stream(shape).boxed().toList());
                params += Arrays.stream(shape).reduce(1, (a, b) -> a * b);
            }
            m.put("parameters", shapes);
            m.put("parameter_count", params);
            m.put("metadata", c.metadata());
            sae.pretrained().ifPresent(p -> {
                m.put("release", p.release());
                m.put("sae_id", p.saeId());
                m.put("repo_id", p.repoId());
                m.put("neuronpedia_id", p.neuronpediaId());
            });
            m.put("concepts", ConceptDictionary.besideSae(saeDir, sae.dSae()).map(ConceptDictionary::size)
                    .orElse(0));
            Path sparsityFile = saeDir.resolve(SaeLensFormat.SPARSITY_FILE);
            m.put("sparsity_file", Files.isRegularFile(sparsityFile));
            Optional<float[]> sparsity = SaeLensFormat.readSparsity(saeDir);
            if (sparsity.isPresent()) {
                float[] s = sparsity.get();
                long dead = 0;
                double sum = 0;
                for (float v : s) {
                    dead += v < DEAD_LOG10 ? 1 : 0;
                    sum += v;
                }
                m.put("dead_latents", dead);
                m.put("mean_log10_density", s.length == 0 ? null : sum / s.length);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Json.print(out, m);
            return 0;
        }
        out.printf(Locale.ROOT, "SAE %s%n", saeDir);
        if (m.containsKey("release")) {
            out.printf(Locale.ROOT, "  release        %s : %s (%s)%n", m.get("release"), m.get("sae_id"), m.get("repo_id"));
        }
        out.printf(Locale.ROOT, "  architecture   %s%n", m.get("architecture"));
        out.printf(Locale.ROOT, "  d_in, d_sae    %s, %s%n", m.get("d_in"), m.get("d_sae"));
        out.printf(Locale.ROOT, "  k              %s%n", m.get("k"));
        out.printf(Locale.ROOT, "  model, layer   %s, %s%n", blank(m.get("model_name")), blank(m.get("hook_name")));
        out.printf(Locale.ROOT, "  apply b_dec    %s%n", m.get("apply_b_dec_to_input"));
        out.printf(Locale.ROOT, "  input scale    %s%n", m.get("input_scale"));
        out.printf(Locale.ROOT, "  parameters     %,d%n", (Long) m.get("parameter_count"));
        @SuppressWarnings("unchecked")
        Map<String, Object> shapes = (Map<String, Object>) m.get("parameters");
        shapes.forEach((name, shape) -> out.printf(Locale.ROOT, "    %-8s %s%n", name, shape));
        out.printf(Locale.ROOT, "  concepts       %s%n", (Integer) m.get("concepts") == 0 ? "no " + ConceptDictionary.FILE_NAME
                : m.get("concepts") + " named latents in " + ConceptDictionary.FILE_NAME);
        if (Boolean.TRUE.equals(m.get("sparsity_file"))) {
            out.printf(Locale.ROOT, "  sparsity       %s present: %s dead latents (log10 density < %.0f), mean log10 "
                    + "density %.3f%n", SaeLensFormat.SPARSITY_FILE, m.get("dead_latents"), DEAD_LOG10,
                    (Double) m.get("mean_log10_density"));
        } else {
            out.printf(Locale.ROOT, "  sparsity       no %s%n", SaeLensFormat.SPARSITY_FILE);
        }
        out.flush();
        return 0;
    }

    private static Object blank(Object s) {
        return s == null || s.toString().isEmpty() ? "(unknown)" : s;
    }
}
