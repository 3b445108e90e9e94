package io.microw.frontend;

import io.microw.demo.BrownGpt2;
import io.microw.io.hub.RepoId;
import io.microw.lm.LanguageModel;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The model a front end was told to use, parsed once: the embedded demo model ({@link Demo}), a model directory
 * ({@link Directory}) or a Hugging Face Hub repository ({@link Hub}). The command line parses what the user typed
 * with {@link #parse}; the server turns the ids it allows into references with {@link #ofId} and its model roots'
 * folders with {@link #directory}; both open them with {@link #open}.
 */
public sealed interface ModelReference {

    /** The names of the embedded demo model: {@code brown-gpt2} and {@code demo}. */
    Set<String> DEMO_NAMES = Set.of(BrownGpt2.NAME, "demo");

    /** The embedded demo model, brown-gpt2. */
    record Demo() implements ModelReference {

        @Override
        public LanguageModel open() {
            return BrownGpt2.load();
        }

        @Override
        public String name() {
            return BrownGpt2.NAME;
        }

        @Override
        public String source() {
            return "embedded";
        }
    }

    /**
     * A model directory as {@code save_pretrained} writes it.
     *
     * @param path the directory
     */
    record Directory(Path path) implements ModelReference {

        /** Checks that a path is given. */
        public Directory {
            Objects.requireNonNull(path, "model directory");
        }

        @Override
        public LanguageModel open() {
            return LanguageModel.load(path);
        }

        @Override
        public String name() {
            return path.toString();
        }

        @Override
        public String source() {
            return path.toString();
        }
    }

    /**
     * A Hugging Face Hub model repository, downloaded to (or read from) the Hub cache when opened.
     *
     * @param id the repository id, checked by {@link RepoId#parse}
     */
    record Hub(String id) implements ModelReference {

        /** Checks the id against the Hub's rules. */
        public Hub {
            RepoId.parse(id);
        }

        @Override
        public LanguageModel open() {
            return LanguageModel.fromPretrained(id);
        }

        @Override
        public String name() {
            return id;
        }

        @Override
        public String source() {
            return "hub";
        }
    }

    /**
     * Parses a model as a user names it: nothing ({@code null}), {@code brown-gpt2} or {@code demo} for the embedded
     * demo model; an existing directory; else a Hub id {@code owner/name}. Anything else is an
     * {@link IllegalArgumentException} that names the value and the three forms.
     *
     * @param spec what was given, or null for none
     * @return the reference
     */
    static ModelReference parse(String spec) {
        if (spec == null || DEMO_NAMES.contains(spec)) {
            return new Demo();
        }
        Optional<Path> dir = LanguageModel.localDirectory(spec);
        if (dir.isPresent()) {
            return new Directory(dir.get());
        }
        if (spec.indexOf('/') < 0 || !RepoId.isValid(spec)) {
            throw new IllegalArgumentException("model '" + spec + "' is neither " + BrownGpt2.NAME
                    + " (the demo model), an existing directory, nor a Hugging Face Hub id like owner/name");
        }
        return new Hub(spec);
    }

    /**
     * A model named by an id that is never a file: {@code brown-gpt2} or {@code demo}, else a Hub id ({@code
     * owner/name}, or a legacy bare {@code name}); an id the Hub would refuse is an
     * {@link IllegalArgumentException} naming it and the rule.
     *
     * @param id the id
     * @return the demo model or a Hub model
     */
    static ModelReference ofId(String id) {
        Objects.requireNonNull(id, "model id");
        return DEMO_NAMES.contains(id) ? new Demo() : new Hub(id);
    }

    /**
     * A model directory.
     *
     * @param dir the directory (checked when opened)
     * @return the reference
     */
    static ModelReference directory(Path dir) {
        return new Directory(dir);
    }

    /**
     * The embedded demo model.
     *
     * @return the reference
     */
    static ModelReference demo() {
        return new Demo();
    }

    /**
     * The name a user gave a model, for reports and records, without checking it: {@code brown-gpt2} for nothing or a
     * demo name, else the name as given.
     *
     * @param spec what was given, or null for none
     * @return the name
     */
    static String displayName(String spec) {
        return spec == null || DEMO_NAMES.contains(spec) ? BrownGpt2.NAME : spec;
    }

    /**
     * Loads the model; close it to free its weights.
     *
     * @return the model
     */
    LanguageModel open();

    /**
     * The model's name: {@code brown-gpt2}, the directory as given, or the Hub id.
     *
     * @return the name
     */
    String name();

    /**
     * Where the model comes from: {@code embedded}, the directory, or {@code hub}.
     *
     * @return the source
     */
    String source();

    /**
     * The name a saved activation run records for the model, independent of where it lies: the demo model's name or
     * the Hub id, and null for a directory (the run then records the directory's name).
     *
     * @return the name, or null for a directory
     */
    default String runName() {
        return this instanceof Directory ? null : name();
    }
}
