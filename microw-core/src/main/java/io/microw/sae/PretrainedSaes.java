package io.microw.sae;

import io.microw.io.hub.PretrainedOptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registry of published SAEs that {@link Sae#fromPretrained} resolves releases in: SAELens'
 * {@code pretrained_saes.yaml} (shipped as the resource {@value #BUNDLED}, see the NOTICE next to it), or a newer copy
 * given by path (system property {@value #PROPERTY} or environment variable {@value #ENV}, or {@link #read(Path)}),
 * plus the releases embedded in jars on the class path (resources {@value #EMBEDDED}, same layout, with
 * {@code repo_id: classpath:<folder>}). An embedded release wins over a registry release of the same name.
 */
public final class PretrainedSaes {

    /** The bundled copy of SAELens' registry. */
    public static final String BUNDLED = "io/microw/sae/pretrained_saes.yaml";
    /** Registries of embedded releases, one per jar that ships SAEs. */
    public static final String EMBEDDED = "META-INF/microw/sae-releases.yaml";
    /** System property naming a newer registry file to use instead of the bundled one. */
    public static final String PROPERTY = "microw.sae.registry";
    /** Environment variable naming a newer registry file (the system property wins). */
    public static final String ENV = "MICROW_SAE_REGISTRY";

    private static final Map<String, PretrainedSaes> LOADED = Collections.synchronizedMap(new LinkedHashMap<>());

    private final Map<String, SaeRelease> releases;

    private PretrainedSaes(Map<String, SaeRelease> releases) {
        this.releases = Collections.unmodifiableMap(releases);
    }

    /**
     * The registry in use: the file {@value #PROPERTY} or {@value #ENV} names, else the bundled copy; with the embedded
     * releases. Each file is read once (again when it changes).
     *
     * @return the registry
     */
    public static PretrainedSaes defaults() {
        String given = System.getProperty(PROPERTY);
        if (given == null || given.isBlank()) {
            given = System.getenv(ENV);
        }
        if (given != null && !given.isBlank()) {
            return read(Path.of(given));
        }
        return LOADED.computeIfAbsent("", k -> {
            Map<String, SaeRelease> all = new LinkedHashMap<>(parseResource(resource(BUNDLED)));
            all.putAll(embedded());
            return new PretrainedSaes(all);
        });
    }

    /**
     * A registry read from a file in SAELens' layout (a newer {@code pretrained_saes.yaml}), with the embedded
     * releases.
     *
     * @param yaml the registry file
     * @return the registry
     */
    public static PretrainedSaes read(Path yaml) {
        Path file = yaml.toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new SaeException("the SAE registry file " + file + " does not exist (given by " + PROPERTY + ", "
                    + ENV + " or --registry); expected a copy of SAELens' pretrained_saes.yaml");
        }
        String key;
        try {
            key = file + "@" + Files.getLastModifiedTime(file).toMillis() + "/" + Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the SAE registry " + file, e);
        }
        return LOADED.computeIfAbsent(key, k -> {
            Map<String, SaeRelease> all;
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                all = new LinkedHashMap<>(SaeRegistryYaml.parse(in, file.toString()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the SAE registry " + file, e);
            }
            all.putAll(embedded());
            return new PretrainedSaes(all);
        });
    }

    /**
     * Every release, embedded ones included, in registry order.
     *
     * @return the releases
     */
    public List<SaeRelease> releases() {
        return List.copyOf(releases.values());
    }

    /**
     * The releases for one model, by SAELens' model name (case-insensitive; {@code google/gemma-2-2b} matches
     * {@code gemma-2-2b}).
     *
     * @param model the model's name
     * @return its releases
     */
    public List<SaeRelease> releasesFor(String model) {
        String wanted = model.substring(model.lastIndexOf('/') + 1);
        return releases.values().stream()
                .filter(r -> r.model().equalsIgnoreCase(model)
                        || r.model().substring(r.model().lastIndexOf('/') + 1).equalsIgnoreCase(wanted))
                .toList();
    }

    /**
     * A release by name; one not in the registry is an {@link SaeException} naming the closest releases.
     *
     * @param name the release's name
     * @return the release
     */
    public SaeRelease release(String name) {
        SaeRelease r = releases.get(name);
        if (r == null) {
            throw new SaeException("release '" + name + "' is not in the SAE registry (" + releases.size()
                    + " releases); closest: " + SaeRelease.closest(name, new ArrayList<>(releases.keySet()))
                    + ". `microw sae list-releases` lists them");
        }
        return r;
    }

    /**
     * Whether an SAE of an embedded release comes with a concept dictionary ({@code concepts.json} beside its files,
     * which {@code ConceptDictionary.ofPretrained} reads once it is loaded); false for Hub releases.
     *
     * @param release the release
     * @param sae     the SAE
     * @return true when it ships one
     */
    public boolean shipsConcepts(SaeRelease release, SaeRelease.Entry sae) {
        return PretrainedSaeFiles.shipsConcepts(release, sae);
    }

    /**
     * The SAEs of Hub releases whose files are all in the local Hugging Face cache already, so that {@link #load}
     * opens them offline; releases in a format microw cannot load are left out. Reads the cache only.
     *
     * @param options cache and revision settings
     * @return each cached SAE with its release, in registry order
     */
    public List<Cached> cached(PretrainedOptions options) {
        List<Cached> out = new ArrayList<>();
        for (SaeRelease r : releases.values()) {
            if (r.embedded() || !SaeConverter.knows(r.converter())) {
                continue;
            }
            for (SaeRelease.Entry e : PretrainedSaeFiles.cached(r, SaeConverter.named(r.converter(), r.name()), options)) {
                out.add(new Cached(r, e));
            }
        }
        return out;
    }

    /**
     * One SAE of a release whose files are in the local cache.
     *
     * @param release the release
     * @param sae     the SAE
     */
    public record Cached(SaeRelease release, SaeRelease.Entry sae) {
    }

    /**
     * The local folder of an SAE, downloading exactly the files its converter needs (or unpacking an embedded one).
     *
     * @param release the release's name
     * @param saeId   the SAE's id in the release
     * @param options Hub settings: cache, offline, progress, token, endpoint, revision
     * @return the folder
     */
    public Path download(String release, String saeId, PretrainedOptions options) {
        SaeRelease r = release(release);
        SaeRelease.Entry e = r.sae(saeId);
        return PretrainedSaeFiles.fetch(r, e, SaeConverter.named(r.converter(), r.name()), options);
    }

    /**
     * Downloads (see {@link #download}) and loads an SAE, with its registry metadata ({@link Sae#pretrained()}).
     * As SAELens does, the release's {@code config_overrides} and the SAE's Neuronpedia id go into the config's
     * metadata, and an SAE whose config says {@code normalize_activations: expected_average_only_in} gets the
     * registry's {@code norm_scaling_factor} folded into its weights.
     *
     * @param release the release's name
     * @param saeId   the SAE's id in the release
     * @param options Hub settings: cache, offline, progress, token, endpoint, revision
     * @return the SAE
     */
    public Sae load(String release, String saeId, PretrainedOptions options) {
        SaeRelease r = release(release);
        SaeRelease.Entry e = r.sae(saeId);
        SaeConverter converter = SaeConverter.named(r.converter(), r.name());
        Object normalize = r.configOverrides().get(SaeLensFormat.NORMALIZE_ACTIVATIONS);
        if (normalize != null && !normalize.equals("none") && !normalize.equals("expected_average_only_in")) {
            throw new SaeException("release '" + r.name() + "' needs " + SaeLensFormat.NORMALIZE_ACTIVATIONS + "="
                    + normalize + ", a per-input run-time normalisation microw SAEs do not apply");
        }
        Path folder = PretrainedSaeFiles.fetch(r, e, converter, options);
        Sae sae = Sae.load(folder);
        try {
            PretrainedMetadata.apply(sae, r, e, converter, folder);
            return sae;
        } catch (RuntimeException ex) {
            sae.close();
            throw ex;
        }
    }

    private static Map<String, SaeRelease> embedded() {
        Map<String, SaeRelease> all = new LinkedHashMap<>();
        try {
            for (URL url : Collections.list(PretrainedSaes.class.getClassLoader().getResources(EMBEDDED))) {
                all.putAll(parseResource(url));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the embedded SAE registries " + EMBEDDED, e);
        }
        for (SaeRelease r : all.values()) {
            if (!r.embedded()) {
                throw new SaeException("release '" + r.name() + "' in an embedded SAE registry has repo_id '"
                        + r.repoId() + "'; embedded releases need " + SaeRelease.CLASSPATH + "<resource folder>");
            }
        }
        return all;
    }

    private static URL resource(String name) {
        URL url = PretrainedSaes.class.getClassLoader().getResource(name);
        if (url == null) {
            throw new SaeException("the resource " + name + " is missing from the microw-core jar");
        }
        return url;
    }

    private static Map<String, SaeRelease> parseResource(URL url) {
        try (InputStream in = url.openStream(); Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            return SaeRegistryYaml.parse(reader, url.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the SAE registry " + url, e);
        }
    }
}
