package io.microw.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.concepts.SaeHook;
import io.microw.frontend.ModelReference;
import io.microw.lm.GenerationConfig;
import io.microw.lm.GenerationResult;
import io.microw.lm.LanguageModel;
import io.microw.sae.Sae;
import io.microw.steering.PositionScope;
import io.microw.steering.SteeringVector;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code microw steer}: continues a prompt twice, without and with an edit (SAE latent manipulations or a steering
 * vector), and prints both continuations as two labelled blocks. Greedy unless sampling options are given (both
 * runs then use the same seed).
 */
@Command(name = "steer",
        description = {"Continue a prompt without and with an edit, and print both continuations:",
            "SAE latent edits (--sae DIR --latent I=SCALE, --add I=V, --clamp I=V) or a steering vector "
                + "(--vector FILE --coefficient C)."},
        footer = {"", "Examples:",
            "  microw steer --prompt 'The jury said' --sae my-sae --layer transformer.h.2 --latent 12=8,40=0",
            "  microw steer --prompt 'The jury said' --sae my-sae --clamp 12=5 --scope generated --json",
            "  microw steer --prompt 'The jury said' --vector formal.safetensors --coefficient 4",
            "", "--layer defaults to the layer recorded in the SAE's cfg.json (hook_name)."})
final class SteerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--prompt", paramLabel = "TEXT", required = true, description = "The prompt to continue.")
    String prompt;

    @Option(names = "--model", paramLabel = "M", description = ModelCommand.MODEL_HELP)
    String model;

    @Mixin
    SamplingOptions sampling;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Edit edit;

    /** Exactly one kind of edit. */
    static final class Edit {
        @ArgGroup(exclusive = false, heading = "SAE edits:%n")
        SaeEdit sae;

        @ArgGroup(exclusive = false, heading = "Steering vector:%n")
        VectorEdit vector;
    }

    static final class SaeEdit {
        @Option(names = "--sae", paramLabel = "DIR|RELEASE:ID", converter = SaeSource.Converter.class, required = true,
                description = "SAE directory (cfg.json + sae_weights.safetensors), or a published SAE (RELEASE:ID).")
        SaeSource source;

        @Option(names = "--layer", paramLabel = "L", description = "Layer to attach the SAE to (default: its hook_name).")
        String layer;

        @Option(names = "--latent", paramLabel = "I=SCALE", split = ",", converter = LatentValue.Converter.class,
                description = "Multiply latent I's code by SCALE (comma-separated, repeatable).")
        List<LatentValue> scales = new ArrayList<>();

        @Option(names = "--add", paramLabel = "I=V", split = ",", converter = LatentValue.Converter.class,
                description = "Add V to latent I's code.")
        List<LatentValue> adds = new ArrayList<>();

        @Option(names = "--clamp", paramLabel = "I=V", split = ",", converter = LatentValue.Converter.class,
                description = "Pin latent I's code to V.")
        List<LatentValue> clamps = new ArrayList<>();
    }

    static final class VectorEdit {
        @Option(names = "--vector", paramLabel = "FILE", required = true,
                description = "A steering vector saved by microw (.safetensors).")
        Path file;

        @Option(names = "--coefficient", paramLabel = "C", required = true,
                description = "Add C times the vector to its layer's output.")
        double coefficient;
    }

    @Option(names = "--scope", paramLabel = "all|prompt|generated", defaultValue = "all",
            description = "Token positions the edit applies to (default: ${DEFAULT-VALUE}).")
    String scope;

    @Option(names = "--json", description = "Print one JSON document instead of text.")
    boolean json;

    @Override
    public Integer call() {
        if (prompt.isBlank()) {
            throw new ParameterException(spec.commandLine(), "--prompt must not be empty");
        }
        PositionScope positions = parseScope();
        GenerationConfig config = sampling.config(spec.commandLine());
        PrintWriter out = spec.commandLine().getOut();
        ObjectNode doc = Json.object();
        String baseline;
        String steered;
        String description;
        try (LanguageModel lm = ModelReference.parse(model).open()) {
            ModelRunCommand.requireTokenizer(lm);
            doc.put("model", ModelReference.displayName(model));
            doc.put("prompt", prompt);
            sampling.putJson(doc);
            doc.put("scope", positions.name().toLowerCase(Locale.ROOT));
            ObjectNode e = doc.putObject("edit");
            baseline = generate(lm, config);
            if (edit.sae != null) {
                SaeSource source = edit.sae.source;
                try (Sae sae = source.isRelease() ? SaeSupport.openSae(spec.commandLine(), source)
                        : Sae.load(source.dir())) {
                    String layer = saeLayer(lm, sae);
                    checkLatentEdits(sae);
                    e.put("kind", "sae");
                    e.put("sae", edit.sae.source.toString());
                    e.put("layer", layer);
                    e.put("latents", sae.dSae());
                    try (SaeHook hook = SaeHook.attach(lm, sae, layer)) {
                        applyLatentEdits(hook, positions, e);
                        steered = generate(lm, config);
                    }
                    description = "SAE " + edit.sae.source + " on " + layer + ": " + latentEdits();
                }
            } else {
                SteeringVector v = SteeringVector.load(edit.vector.file);
                String layer = HookFlags.resolve(spec.commandLine(), lm.layers(), "the vector's layer", v.layer());
                e.put("kind", "vector");
                e.put("vector", edit.vector.file.toString());
                e.put("layer", layer);
                e.put("coefficient", edit.vector.coefficient);
                e.put("vector_norm", v.norm());
                String id = v.apply(lm, edit.vector.coefficient, positions);
                try {
                    steered = generate(lm, config);
                } finally {
                    lm.layers().unregisterHook(id);
                }
                description = "steering vector " + edit.vector.file + " on " + layer + " x "
                        + CliText.number(edit.vector.coefficient);
            }
        }
        doc.putObject("baseline").put("text", baseline);
        doc.putObject("steered").put("text", steered);
        doc.put("changed", !baseline.equals(steered));
        if (json) {
            Json.print(out, doc);
            return 0;
        }
        out.println(ModelReference.displayName(model) + ", " + sampling.describe() + ", up to " + config.maxNewTokens()
                + " new tokens");
        out.println("edit: " + description + " (scope " + positions.name().toLowerCase(Locale.ROOT) + ")");
        out.println();
        out.println("== baseline ==");
        out.println(baseline);
        out.println();
        out.println("== steered ==");
        out.println(steered);
        if (baseline.equals(steered)) {
            out.println();
            out.println("(same text: try a larger edit, another latent or another layer)");
        }
        out.flush();
        return 0;
    }

    private String generate(LanguageModel lm, GenerationConfig config) {
        GenerationResult g = lm.inference().generate(List.of(prompt), config);
        return g.texts().get(0);
    }

    private PositionScope parseScope() {
        return switch (scope.toLowerCase(Locale.ROOT)) {
            case "all" -> PositionScope.ALL;
            case "prompt" -> PositionScope.PROMPT;
            case "generated" -> PositionScope.GENERATED;
            default -> throw new ParameterException(spec.commandLine(), "unknown --scope '" + scope
                    + "'; use all, prompt or generated");
        };
    }

    /** --layer, else the SAE's recorded hook_name; resolved on the model. */
    private String saeLayer(LanguageModel lm, Sae sae) {
        String layer = edit.sae.layer != null ? edit.sae.layer : sae.config().hookName();
        if (layer == null || layer.isBlank()) {
            throw new ParameterException(spec.commandLine(), "--layer is required: the SAE in " + edit.sae.source
                    + " does not record the layer it was trained on");
        }
        return HookFlags.resolve(spec.commandLine(), lm.layers(), "--layer", layer);
    }

    /** At least one edit, every latent in range: checked before the SAE is attached. */
    private void checkLatentEdits(Sae sae) {
        SaeEdit s = edit.sae;
        if (s.scales.isEmpty() && s.adds.isEmpty() && s.clamps.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "--sae needs at least one edit: --latent I=SCALE, "
                    + "--add I=V or --clamp I=V");
        }
        s.scales.forEach(v -> check(sae, "--latent", v));
        s.adds.forEach(v -> check(sae, "--add", v));
        s.clamps.forEach(v -> check(sae, "--clamp", v));
    }

    /** Sets the manipulations on an attached SAE and records them in {@code e}. */
    private void applyLatentEdits(SaeHook hook, PositionScope positions, ObjectNode e) {
        SaeEdit s = edit.sae;
        var concepts = hook.concepts();
        concepts.resetManipulations();
        for (LatentValue v : s.scales) {
            concepts.manipulateConcept(v.latent(), v.value());
        }
        for (LatentValue v : s.adds) {
            concepts.addToConcept(v.latent(), v.value());
        }
        for (LatentValue v : s.clamps) {
            concepts.clampConcept(v.latent(), v.value());
        }
        concepts.setPositionScope(positions);
        put(e.putArray("scale"), s.scales);
        put(e.putArray("add"), s.adds);
        put(e.putArray("clamp"), s.clamps);
    }

    private int check(Sae sae, String option, LatentValue v) {
        if (v.latent() >= sae.dSae()) {
            throw new ParameterException(spec.commandLine(), option + " " + v + ": latent " + v.latent()
                    + " is out of range; the SAE has latents 0.." + (sae.dSae() - 1));
        }
        return v.latent();
    }

    private static void put(ArrayNode array, List<LatentValue> values) {
        for (LatentValue v : values) {
            array.addObject().put("latent", v.latent()).put("value", v.value());
        }
    }

    private String latentEdits() {
        List<String> parts = new ArrayList<>();
        edit.sae.scales.forEach(v -> parts.add("latent " + v.latent() + " x" + CliText.number(v.value())));
        edit.sae.adds.forEach(v -> parts.add("latent " + v.latent() + " +" + CliText.number(v.value())));
        edit.sae.clamps.forEach(v -> parts.add("latent " + v.latent() + " =" + CliText.number(v.value())));
        return String.join(", ", parts);
    }
}
