package io.microw.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.microw.MicrowException;
import io.microw.data.DatasetOptions;
import io.microw.data.Datasets;
import io.microw.data.LoadingStrategy;
import io.microw.data.TextDataset;
import io.microw.demo.BrownCorpus;
import io.microw.sae.PretrainedSaes;
import io.microw.sae.Sae;
import io.microw.sae.SaeException;
import io.microw.sae.SaeFormats;
import io.microw.store.Store;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What the {@code sae} and {@code concepts} commands share: opening SAEs, texts and layers. */
final class SaeSupport {

    private SaeSupport() {
    }

    /**
     * Loads what {@code --sae} names: a folder (see {@link #openSae(CommandLine, Path)}), or a published SAE by
     * release, downloaded into the Hugging Face cache (or unpacked, for an embedded release) on first use.
     */
    static Sae openSae(CommandLine cmd, SaeSource source) {
        if (source == null) {
            throw new ParameterException(cmd, "missing --sae DIR or --sae RELEASE:ID");
        }
        if (!source.isRelease()) {
            return openSae(cmd, source.dir());
        }
        checkRegistered(cmd, PretrainedSaes.defaults(), source.release(), source.saeId());
        return Sae.fromPretrained(source.release(), source.saeId());
    }

    /** A release or id not in {@code registry} is a usage error naming the closest valid ones. */
    static void checkRegistered(CommandLine cmd, PretrainedSaes registry, String release, String saeId) {
        try {
            registry.release(release).sae(saeId);
        } catch (SaeException e) {
            throw new ParameterException(cmd, e.getMessage());
        }
    }

    /**
     * Loads the SAE given to {@code --sae}: a folder or weights file in any format {@code Sae.load} reads; a path that
     * is not there, or holds no known format, is a usage error.
     */
    static Sae openSae(CommandLine cmd, Path path) {
        if (path == null) {
            throw new ParameterException(cmd, "missing --sae DIR (an SAE folder, e.g. cfg.json and "
                    + "sae_weights.safetensors, or a published SAE as RELEASE:ID)");
        }
        if (!Files.exists(path)) {
            throw new ParameterException(cmd, "--sae " + path + " is not a folder or file");
        }
        try {
            SaeFormats.detect(path);
        } catch (SaeException e) {
            throw new ParameterException(cmd, "--sae " + path + ": " + e.getMessage());
        }
        return Sae.load(path);
    }

    /** The layer named on the command line, else the one recorded in the SAE's config. */
    static String layer(CommandLine cmd, String given, Sae sae) {
        if (given != null && !given.isBlank()) {
            return given;
        }
        String hook = sae.config().hookName();
        if (hook.isEmpty()) {
            throw new ParameterException(cmd, "missing --layer: the SAE does not record the layer it was trained on");
        }
        return hook;
    }

    /** A Brown split named by {@code --brown}. */
    static BrownCorpus.Split split(CommandLine cmd, String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "train" -> BrownCorpus.Split.TRAIN;
            case "validation", "val" -> BrownCorpus.Split.VALIDATION;
            default -> throw new ParameterException(cmd, "unknown --brown split '" + name
                    + "'; use train or validation");
        };
    }

    /**
     * Texts from exactly one of {@code --brown SPLIT} or {@code --texts-file FILE}, at most {@code limit}
     * ({@code <= 0}: all). {@code what} names the options in the error when neither or both are given.
     */
    static TextDataset texts(CommandLine cmd, String brown, Path file, int limit, String what) {
        if ((brown == null) == (file == null)) {
            throw new ParameterException(cmd, "give exactly one of " + what);
        }
        if (limit < 0) {
            throw new ParameterException(cmd, "--limit must be >= 0 (0: all), got " + limit);
        }
        TextDataset texts = file != null
                ? textsFile(file, DatasetOptions.defaults().withStrategy(LoadingStrategy.ON_DISK))
                : BrownCorpus.load().sentenceDataset(split(cmd, brown));
        return limit > 0 ? texts.limit(limit) : texts;
    }

    /**
     * The texts of {@code --texts-file} (a file or a folder of files), read as {@code options} say; one that does not
     * exist is an error naming it (not an unknown format).
     */
    static TextDataset textsFile(Path file, DatasetOptions options) {
        if (!Files.exists(file)) {
            throw new MicrowException("--texts-file " + file + " does not exist");
        }
        return Datasets.fromFile(file, options);
    }

    /**
     * The run's stored name of {@code layer}: the name itself when the run holds it, else what {@code resolver} (a
     * model's layer names and aliases; may be null) makes of it. A layer the run does not hold is a usage error
     * naming those it does.
     */
    static String storeLayer(CommandLine cmd, Store store, String run, String layer,
                             java.util.function.UnaryOperator<String> resolver) {
        if (!store.hasRun(run)) {
            throw new ParameterException(cmd, "no run '" + run + "' in the store; see `microw activations list`");
        }
        List<String> layers = new ArrayList<>();
        store.runMetadata(run).path("layers").forEach(n -> layers.add(n.asText()));
        if (layers.contains(layer)) {
            return layer;
        }
        if (resolver != null) {
            try {
                String resolved = resolver.apply(layer);
                if (layers.contains(resolved)) {
                    return resolved;
                }
            } catch (RuntimeException unknownToTheModel) {
                // reported below with the run's layers
            }
        }
        throw new ParameterException(cmd, "unknown layer '" + layer + "' in run '" + run + "'; it holds " + layers);
    }

    /** Parses {@code --latents} values and checks they are in range. */
    static List<Integer> latents(CommandLine cmd, List<Integer> given, int nLatents) {
        for (int l : given) {
            if (l < 0 || l >= nLatents) {
                throw new ParameterException(cmd, "latent " + l + " is out of range: the SAE has " + nLatents
                        + " latents (0.." + (nLatents - 1) + ")");
            }
        }
        return List.copyOf(given);
    }


    /** {@code n} with a thousands separator. */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
