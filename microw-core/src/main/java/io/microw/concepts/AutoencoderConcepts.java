package io.microw.concepts;

import io.microw.sae.Sae;
import io.microw.sae.SaeException;
import io.microw.steering.PositionScope;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongFunction;

/**
 * The concept state of an SAE on a layer ({@code hook.concepts()} of a {@link SaeHook}, mi-crow's
 * {@code sae.concepts}): what its latents recorded in the last forward, text tracking (top texts per latent), the
 * concept dictionary, and manipulations of latents with the {@link SaeMode} that decide what the hook does to the
 * layer's output.
 */
public final class AutoencoderConcepts {

    private final SaeHook hook;
    private final Sae sae;
    private final ConceptManipulations manipulations;
    private volatile SaeMode mode;
    private volatile TopTextTracker tracker;
    private volatile LongFunction<String> decoder = id -> "<" + id + ">";
    private volatile TokenLatents last;
    private volatile TokenLatents lastEdited;
    private volatile ConceptDictionary dictionary;

    /** The concept state of {@code hook}; a hook makes its own, see {@link SaeHook#concepts()}. */
    AutoencoderConcepts(SaeHook hook) {
        this.hook = Objects.requireNonNull(hook, "hook");
        this.sae = hook.sae();
        this.manipulations = new ConceptManipulations(sae.dSae());
    }

    /**
     * Sets how token ids become token strings ({@link SaeHook#attachTo} uses the model's tokenizer).
     *
     * @param tokenText the text of one token id
     */
    public void setTokenDecoder(LongFunction<String> tokenText) {
        this.decoder = Objects.requireNonNull(tokenText, "tokenText");
    }

    // ---- text tracking ----

    /**
     * Tracks, per latent, the {@code topK} texts that made it fire most (mi-crow's enable_text_tracking).
     *
     * @param topK texts kept per latent, at least 1
     */
    public void enableTextTracking(int topK) {
        enableTextTracking(topK, 0, 8);
    }

    /**
     * Tracks top-k and bottom-k contexts with a window of ±{@code window} tokens.
     *
     * @param topK texts kept per latent, at least 1
     * @param bottomK weakest firings kept per latent, 0 for none
     * @param window tokens kept on each side of the firing token
     */
    public void enableTextTracking(int topK, int bottomK, int window) {
        tracker = new TopTextTracker(sae.dSae(), topK, bottomK, window, id -> decoder.apply(id));
    }

    /**
     * Tracks texts into an existing tracker (for instance one also fed offline).
     *
     * @param existing the tracker to feed
     */
    public void useTracker(TopTextTracker existing) {
        if (existing.latents() != sae.dSae()) {
            throw new SaeException("the tracker has " + existing.latents() + " latents; this SAE has " + sae.dSae());
        }
        tracker = existing;
    }

    /** Stops tracking texts and drops the tracker. */
    public void disableTextTracking() {
        tracker = null;
    }

    /**
     * Whether texts are being tracked.
     *
     * @return true while text tracking is on
     */
    public boolean isTextTrackingEnabled() {
        return tracker != null;
    }

    /** Forgets the tracked texts and statistics (tracking stays on). */
    public void resetTopTexts() {
        requireTracker().reset();
    }

    /**
     * The strongest contexts of a latent, strongest first.
     *
     * @param latent the latent's index
     * @return the contexts, at most top-k
     */
    public List<LatentContext> topTexts(int latent) {
        return requireTracker().topTexts(latent);
    }

    /**
     * The weakest firings of a latent (when tracking was enabled with bottom-k).
     *
     * @param latent the latent's index
     * @return the contexts, weakest first
     */
    public List<LatentContext> bottomTexts(int latent) {
        return requireTracker().bottomTexts(latent);
    }

    /**
     * Firing statistics of the tracked texts.
     *
     * @return the statistics
     */
    public LatentStatistics statistics() {
        return requireTracker().statistics();
    }

    /**
     * The tracker, for exports and offline feeding.
     *
     * @return the tracker
     */
    public TopTextTracker tracker() {
        return requireTracker();
    }

    private TopTextTracker requireTracker() {
        TopTextTracker t = tracker;
        if (t == null) {
            throw new SaeException("text tracking is off; call enableTextTracking(topK) first");
        }
        return t;
    }

    // ---- concept names ----

    /**
     * Attaches a concept dictionary (checked against this SAE's latent count).
     *
     * @param concepts the dictionary
     */
    public void setDictionary(ConceptDictionary concepts) {
        this.dictionary = concepts.validate(sae.dSae());
    }

    /**
     * Loads a concept dictionary (mi-crow's JSON or CSV) for this SAE and attaches it.
     *
     * @param file the JSON or CSV file
     * @return the dictionary, now attached
     */
    public ConceptDictionary loadDictionary(Path file) {
        ConceptDictionary loaded = ConceptDictionary.load(file, sae.dSae());
        this.dictionary = loaded;
        return loaded;
    }

    /**
     * The attached dictionary, or a new empty one attached now.
     *
     * @return the dictionary
     */
    public synchronized ConceptDictionary dictionary() {
        if (dictionary == null) {
            dictionary = ConceptDictionary.forLatents(sae.dSae());
        }
        return dictionary;
    }

    // ---- latents of the last forward ----

    /**
     * The SAE's codes per token in the last forward that ran it (empty before the first).
     *
     * @return the codes, or empty
     */
    public Optional<TokenLatents> lastLatents() {
        return Optional.ofNullable(last);
    }

    /**
     * The codes after manipulation in the last forward that edited them (what was decoded).
     *
     * @return the edited codes, or empty
     */
    public Optional<TokenLatents> lastEditedLatents() {
        return Optional.ofNullable(lastEdited);
    }

    // ---- manipulation ----

    /**
     * Multiplies a latent's code by {@code scale} (mi-crow's manipulate_concept).
     *
     * @param latent the latent's index
     * @param scale the factor, finite
     */
    public void manipulateConcept(int latent, double scale) {
        hook.requireAttached();
        manipulations.scale(latent, scale);
    }

    /**
     * Adds {@code value} to a latent's code at every scoped position.
     *
     * @param latent the latent's index
     * @param value the amount to add, finite
     */
    public void addToConcept(int latent, double value) {
        hook.requireAttached();
        manipulations.add(latent, value);
    }

    /**
     * Pins a latent's code to {@code value} at every scoped position.
     *
     * @param latent the latent's index
     * @param value the value, finite
     */
    public void clampConcept(int latent, double value) {
        hook.requireAttached();
        manipulations.clamp(latent, value);
    }

    /** Removes every manipulation. */
    public void resetManipulations() {
        manipulations.reset();
    }

    /**
     * Which positions manipulations apply to (default ALL).
     *
     * @param scope the positions to edit
     */
    public void setPositionScope(PositionScope scope) {
        manipulations.setScope(scope);
    }

    /**
     * The manipulations set so far.
     *
     * @return the manipulations (live, not a copy)
     */
    public ConceptManipulations manipulations() {
        return manipulations;
    }

    /**
     * Writes the manipulations as JSON, atomically.
     *
     * @param file the file to write
     */
    public void saveManipulations(Path file) {
        manipulations.save(file);
    }

    /**
     * Replaces the manipulations with those saved in {@code file}.
     *
     * @param file a file written by {@link #saveManipulations}
     */
    public void loadManipulations(Path file) {
        ConceptManipulations loaded = ConceptManipulations.load(file, sae.dSae());
        manipulations.reset();
        loaded.scales().forEach(manipulations::scale);
        loaded.additions().forEach(manipulations::add);
        loaded.clamps().forEach(manipulations::clamp);
        manipulations.setScope(loaded.scope());
    }

    /**
     * Forces a mode; {@code null} (default) means OBSERVE without manipulations and STEER with some.
     *
     * @param mode the mode, or {@code null} for the default
     */
    public void setMode(SaeMode mode) {
        this.mode = mode;
    }

    /**
     * The mode set with {@link #setMode}, or {@code null} for the default.
     *
     * @return the forced mode, or {@code null}
     */
    public SaeMode forcedMode() {
        return mode;
    }

    /**
     * The mode the next forward uses.
     *
     * @return the effective mode
     */
    public SaeMode effectiveMode() {
        SaeMode m = mode;
        if (m != null) {
            return m;
        }
        return manipulations.isEmpty() ? SaeMode.OBSERVE : SaeMode.STEER;
    }

    // ---- what the hook records ----

    /** Records the codes of a forward and feeds them to text tracking (the hook's detector half). */
    void recordLatents(TokenLatents latents) {
        last = latents;
        TopTextTracker t = tracker;
        if (t != null) {
            t.add(latents);
        }
    }

    /** Records the codes after manipulation (what the hook's controller half decoded). */
    void recordEditedLatents(TokenLatents edited) {
        lastEdited = edited;
    }
}
