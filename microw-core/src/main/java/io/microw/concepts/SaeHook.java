package io.microw.concepts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.hooks.Controller;
import io.microw.hooks.Detector;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookException;
import io.microw.hooks.HookType;
import io.microw.lm.Interventions;
import io.microw.lm.LanguageModel;
import io.microw.nn.ForwardBatch;
import io.microw.sae.Sae;
import io.microw.sae.SaeException;
import io.microw.steering.PositionScope;

import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * An SAE on a layer of a model: one hook that is both detector and controller (mi-crow's attached SAE). As a
 * detector it encodes the layer output once per forward, records the latents and feeds text tracking; as a
 * controller it applies the manipulations of {@link #concepts()}: with none set it leaves the model untouched
 * (observe), with some it adds only their effect (steer: {@code x + decode(edited) − decode(latents)}), or in
 * REPLACE mode it outputs the reconstruction.
 *
 * <pre>{@code
 * SaeHook hook = SaeHook.attach(lm, sae, "layer_0");   // checks the width
 * hook.concepts().enableTextTracking(10);
 * hook.concepts().manipulateConcept(42, 1.5);
 * hook.detach();                                        // or close(); the SAE stays open
 * }</pre>
 *
 * <p>{@link #splice} does the same to one call, as an {@link Interventions} value that registers nothing.
 *
 * <p>Both check the SAE's {@code model_from_pretrained_kwargs} against the model's weight processing, and its
 * {@code prepend_bos} against the model's ({@link ModelMismatch}): a mismatch is logged as a warning, or refused with
 * {@link ModelMismatch#REFUSE}. While attached and enabled, the hook asks the model to tokenize texts with the SAE's
 * {@code prepend_bos} ({@link #prependBos()}), which the model follows unless its LoadOptions or the call set one.
 *
 * <p>The hook keeps its concept state (tracking, dictionary, manipulations, mode) across detach and re-attach. It
 * owns no native memory: the codes of a forward live in that forward's manager, and {@link #close()} detaches but
 * does not close the SAE, which belongs to the caller.
 */
public final class SaeHook implements Detector, Controller, AutoCloseable {

    private final Sae sae;
    private final String hookId;
    private final AutoencoderConcepts concepts;
    private final ThreadLocal<Encoded> current = new ThreadLocal<>();
    private volatile boolean enabled = true;
    private volatile String attachedLayer;
    private volatile LanguageModel model;
    private volatile ModelMismatch onMismatch = ModelMismatch.WARN;

    /** Codes of the current forward, kept between the detector and the controller call. */
    private record Encoded(ForwardBatch batch, NDArray codes) {
    }

    /**
     * A hook for {@code sae}, not yet attached: attach it with {@link #attachTo} or register it with
     * {@code lm.layers().registerHook(layer, hook)}.
     *
     * @param sae the SAE, closed by its owner, not by the hook
     */
    public SaeHook(Sae sae) {
        this.sae = Objects.requireNonNull(sae, "sae");
        this.hookId = sae.getClass().getSimpleName() + "-" + UUID.randomUUID();
        this.concepts = new AutoencoderConcepts(this);
    }

    /**
     * Wraps {@code sae} in a new hook and attaches it to a layer of {@code lm} (mi-crow's {@code attach_sae}).
     *
     * @param lm the model
     * @param sae the SAE, whose d_in must be the layer's output width
     * @param layer a layer name, alias or index
     * @return the attached hook
     */
    public static SaeHook attach(LanguageModel lm, Sae sae, String layer) {
        return new SaeHook(sae).attachTo(lm, layer);
    }

    /**
     * The SAE spliced into the output of one layer for one call, as the attached hook would do it but registering
     * nothing: pass the result to {@code lm.inference().run(ids, mask, interventions)}, alone or combined with
     * others by {@link Interventions#and}. In {@link SaeMode#STEER} mode the layer outputs
     * {@code decode(edited) + (x − decode(codes))}: the SAE's error term is kept, so without edits the output is the
     * input. In {@link SaeMode#REPLACE} mode it outputs {@code decode(edited)}, the reconstruction. The edits are
     * copied now; later changes to {@code edits} do not reach the value. Nothing is recorded (no latents, no text
     * tracking): capture the layer and {@link Sae#encode} it for the codes.
     *
     * <p>The layer is resolved and its width checked against the SAE's d_in here, with a one-token forward up to
     * the layer that runs no hook, so a wrong layer or SAE fails before any run. A run generates nothing, so the
     * edits apply at every position (scope ALL or PROMPT), padding included: a padded position's output never
     * reaches a real token's.
     *
     * <pre>{@code
     * ConceptManipulations edits = new ConceptManipulations(sae.dSae());
     * edits.scale(42, 3.0);
     * try (RunResult r = lm.inference().run(ids, null,
     *         SaeHook.splice(lm, "blocks.1.hook_resid_post", sae, SaeMode.STEER, edits))) { ... }
     * }</pre>
     *
     * @param lm the model whose layer the SAE reads, used to check the layer now
     * @param layer a layer name, alias or index
     * @param sae the SAE, whose d_in must be the layer's output width; it must stay open while the value is used
     * @param mode {@link SaeMode#STEER} or {@link SaeMode#REPLACE} ({@link SaeMode#OBSERVE} has nothing to record
     *             into: attach a hook to observe)
     * @param edits latent edits for an SAE of {@code sae.dSae()} latents, scoped ALL or PROMPT; empty for none
     * @return the splice, an edit of the layer's output
     * @throws IllegalArgumentException for OBSERVE, edits for another latent count, or edits scoped to generated
     *                                  tokens
     * @throws SaeException when the layer's width is not the SAE's d_in
     */
    public static Interventions splice(LanguageModel lm, String layer, Sae sae, SaeMode mode,
                                       ConceptManipulations edits) {
        return splice(lm, layer, sae, mode, edits, ModelMismatch.WARN);
    }

    /**
     * Like {@link #splice(LanguageModel, String, Sae, SaeMode, ConceptManipulations)}, choosing what a model
     * processed differently from the SAE's {@code model_from_pretrained_kwargs} does.
     *
     * @param lm         the model whose layer the SAE reads
     * @param layer      a layer name, alias or index
     * @param sae        the SAE; it must stay open while the value is used
     * @param mode       {@link SaeMode#STEER} or {@link SaeMode#REPLACE}
     * @param edits      latent edits for an SAE of {@code sae.dSae()} latents, scoped ALL or PROMPT
     * @param onMismatch warn, or refuse, on a weight-processing mismatch
     * @return the splice, an edit of the layer's output
     */
    public static Interventions splice(LanguageModel lm, String layer, Sae sae, SaeMode mode,
                                       ConceptManipulations edits, ModelMismatch onMismatch) {
        Objects.requireNonNull(lm, "lm");
        Objects.requireNonNull(onMismatch, "onMismatch");
        Objects.requireNonNull(sae, "sae");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(edits, "edits");
        if (mode == SaeMode.OBSERVE) {
            throw new IllegalArgumentException("a splice changes the layer's output: use SaeMode.STEER or REPLACE; "
                    + "to observe latents attach a hook (SaeHook.attach) or capture the layer and encode it");
        }
        if (edits.latents() != sae.dSae()) {
            throw new IllegalArgumentException("the edits are for an SAE of " + edits.latents()
                    + " latents but this SAE has " + sae.dSae());
        }
        if (edits.scope() == PositionScope.GENERATED) {
            throw new IllegalArgumentException("the edits are scoped to GENERATED tokens, which a run does not have, "
                    + "so they would never apply; scope them ALL or PROMPT");
        }
        String canonical = checkedLayer(lm, sae, layer);
        onMismatch.check(lm, sae.config(), false);
        CodeEdits codeEdits = CodeEdits.of(edits);
        return Interventions.edit(canonical, x -> {
            if (leavesOutput(mode, codeEdits.empty())) {
                return null;
            }
            long[] shape = x.getShape().getShape();
            NDArray everywhere = x.getManager().ones(new Shape(shape[0], shape[1], 1));
            NDArray codes = sae.encode(x);
            return output(sae, mode, x, codes, codeEdits.apply(x.getManager(), codes, everywhere), everywhere);
        });
    }

    /**
     * Attaches this hook to a layer of {@code lm} after checking that the layer's output width is the SAE's d_in;
     * token strings of text tracking then come from the model's tokenizer. A hook is on one layer at a time.
     *
     * @param lm the model
     * @param layer a layer name, alias or index
     * @return this hook
     * @throws HookException when it is already attached
     */
    public SaeHook attachTo(LanguageModel lm, String layer) {
        String current = attachedLayer;
        if (current != null) {
            throw new HookException("SAE hook '" + hookId + "' is already attached to layer '" + current
                    + "'; detach() it before attaching it to '" + layer + "'");
        }
        String canonical = checkedLayer(lm, sae, layer);
        onMismatch.check(lm, sae.config(), true);
        if (lm.hasTokenizer()) {
            concepts.setTokenDecoder(lm.tokenizer()::tokenText);
        }
        lm.layers().registerHook(canonical, this);
        model = lm;
        return this;
    }

    /**
     * Chooses what {@link #attachTo} does when the model's weight processing differs from the SAE's
     * {@code model_from_pretrained_kwargs}: {@link ModelMismatch#WARN} (the default) or {@link ModelMismatch#REFUSE}.
     *
     * @param value warn or refuse
     * @return this hook
     */
    public SaeHook onModelMismatch(ModelMismatch value) {
        onMismatch = Objects.requireNonNull(value, "onModelMismatch");
        return this;
    }

    /**
     * Removes this hook from the model it was attached to with {@link #attachTo}; its concept state stays.
     *
     * @return true when it was attached and is now removed
     */
    public boolean detach() {
        LanguageModel lm = model;
        model = null;
        return lm != null && lm.layers().unregisterHook(hookId);
    }

    /** Detaches the hook (see {@link #detach()}); the SAE stays open. */
    @Override
    public void close() {
        detach();
    }

    /**
     * The SAE this hook runs.
     *
     * @return the SAE
     */
    public Sae sae() {
        return sae;
    }

    /**
     * Its concepts: latents of the last forward, text tracking and manipulations (mi-crow's {@code sae.concepts}).
     *
     * @return the concept tools of this hook
     */
    public AutoencoderConcepts concepts() {
        return concepts;
    }

    /**
     * The layer this hook is registered on, if any.
     *
     * @return the layer, or empty when detached
     */
    public Optional<String> attachedLayer() {
        return Optional.ofNullable(attachedLayer);
    }

    @Override
    public String id() {
        return hookId;
    }

    @Override
    public HookType hookType() {
        return HookType.FORWARD;
    }

    /** The layer it is attached to, or {@code null} (then it can be registered on any layer). */
    @Override
    public String layerSignature() {
        return attachedLayer;
    }

    /** The SAE's training {@code prepend_bos} ({@link ModelMismatch#trainedPrependBos}), which texts then follow. */
    @Override
    public Optional<Boolean> prependBos() {
        return ModelMismatch.trainedPrependBos(sae.config());
    }

    @Override
    public boolean isEnabled() {
        return enabled;
    }

    @Override
    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    @Override
    public void onRegistered(String layer) {
        attachedLayer = layer;
    }

    @Override
    public void onUnregistered() {
        attachedLayer = null;
    }

    /** Detector half: encodes the layer output, records the latents, feeds text tracking. */
    @Override
    public void processActivations(HookCall call) {
        NDArray x = call.activations();
        sae.checkInputWidth(x.getShape().get(x.getShape().dimension() - 1), call.layer());
        NDArray codes = sae.encode(x);
        current.set(new Encoded(call.batch(), codes));
        concepts.recordLatents(sparse(codes, call.batch()));
    }

    /** Controller half: the layer's new output, or {@code null} to leave it. */
    @Override
    public NDArray modifyActivations(HookCall call) {
        SaeMode m = concepts.effectiveMode();
        Encoded enc = current.get();
        current.remove();
        ConceptManipulations manipulations = concepts.manipulations();
        CodeEdits edits = CodeEdits.of(manipulations);
        if (leavesOutput(m, edits.empty())) {
            return null;
        }
        NDArray x = call.activations();
        NDArray codes = enc != null && enc.batch() == call.batch() ? enc.codes() : sae.encode(x);
        long[] shape = x.getShape().getShape();
        NDArray mask = manipulations.scope().mask(call).reshape(shape[0], shape[1], 1);
        NDArray edited = edits.apply(call.manager(), codes, mask);
        if (!edits.empty()) {
            concepts.recordEditedLatents(sparse(edited, call.batch()));
        }
        return output(sae, m, x, codes, edited, mask);
    }

    /**
     * Throws unless the hook is registered on a layer (manipulations need one).
     */
    void requireAttached() {
        if (attachedLayer == null) {
            throw new SaeException("this SAE is not attached to a layer: attach it with SaeHook.attach(lm, sae, layer) "
                    + "before manipulating its concepts");
        }
    }

    /**
     * The canonical name of {@code layer}, after checking that its output width is the SAE's d_in and that the SAE is
     * on the model's device.
     */
    private static String checkedLayer(LanguageModel lm, Sae sae, String layer) {
        sae.requireDevice(lm.device());
        String canonical = lm.layers().resolve(layer);
        long[] shape = lm.inference().layerOutputShape(canonical);
        sae.checkInputWidth(shape[shape.length - 1], canonical);
        return canonical;
    }

    /** Whether {@code mode} leaves the layer's output as it is: OBSERVE, or STEER without edits. */
    private static boolean leavesOutput(SaeMode mode, boolean noEdits) {
        return mode == SaeMode.OBSERVE || (mode == SaeMode.STEER && noEdits);
    }

    /**
     * The layer's new output from its input {@code x}, its codes and the edited codes, at the positions where
     * {@code mask} ([batch, seq, 1]) is 1: the reconstruction in REPLACE mode, {@code x} plus the decoded change of
     * the codes in STEER mode (which keeps the SAE's error term); {@code x} elsewhere.
     */
    private static NDArray output(Sae sae, SaeMode mode, NDArray x, NDArray codes, NDArray edited, NDArray mask) {
        if (mode == SaeMode.REPLACE) {
            return sae.decode(edited).mul(mask).add(x.mul(mask.neg().add(1f)));
        }
        return x.add(sae.decodeDirection(edited.sub(codes)));
    }

    /** A copy of {@link ConceptManipulations}' per-latent vectors: what the hook and a splice apply to codes. */
    private record CodeEdits(boolean empty, float[] scale, float[] add, float[] clampMask, float[] clampValues) {

        static CodeEdits of(ConceptManipulations m) {
            return new CodeEdits(m.isEmpty(), m.scaleVector(), m.addVector(), m.clampMask(), m.clampValues());
        }

        /** The edited codes where {@code mask} ([batch, seq, 1]) is 1, the codes elsewhere (the codes when empty). */
        NDArray apply(NDManager manager, NDArray codes, NDArray mask) {
            if (empty) {
                return codes;
            }
            NDArray pinned = manager.create(clampMask);
            NDArray scaled = codes.mul(manager.create(scale)).add(manager.create(add));
            NDArray clamped = scaled.mul(pinned.neg().add(1f)).add(manager.create(clampValues).mul(pinned));
            return clamped.mul(mask).add(codes.mul(mask.neg().add(1f)));
        }
    }

    @Override
    public String toString() {
        return "SaeHook(" + sae + (attachedLayer == null ? "" : " on " + attachedLayer) + ")";
    }

    private TokenLatents sparse(NDArray codes, ForwardBatch batch) {
        long[] shape = codes.getShape().getShape();
        int rows = (int) shape[0];
        int seq = shape.length == 3 ? (int) shape[1] : 1;
        return TokenLatents.fromCodes(sae, codes, counted(batch, rows, seq), tokenIds(batch, rows, seq), batch.texts());
    }

    /** Real, non-special tokens of this forward. */
    private static boolean[][] counted(ForwardBatch batch, int rows, int seq) {
        long[] mask = batch.attentionMask().toLongArray();
        int past = batch.pastLength();
        int width = past + seq;
        long[][] special = past == 0 ? batch.specialTokensMask() : null;
        boolean[][] out = new boolean[rows][seq];
        for (int b = 0; b < rows; b++) {
            for (int s = 0; s < seq; s++) {
                boolean real = mask[b * width + past + s] != 0;
                boolean isSpecial = special != null && special[b][s] != 0;
                out[b][s] = real && !isSpecial;
            }
        }
        return out;
    }

    private static long[][] tokenIds(ForwardBatch batch, int rows, int seq) {
        long[] ids = batch.inputIds().toLongArray();
        long[][] out = new long[rows][seq];
        for (int b = 0; b < rows; b++) {
            System.arraycopy(ids, b * seq, out[b], 0, seq);
        }
        return out;
    }
}
