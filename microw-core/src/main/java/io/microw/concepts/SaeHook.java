package io.microw.concepts;

import ai.djl.ndarray.NDArray;
import io.microw.hooks.Controller;
import io.microw.hooks.Detector;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookException;
import io.microw.hooks.HookType;
import io.microw.lm.LanguageModel;
import io.microw.nn.ForwardBatch;
import io.microw.sae.Sae;
import io.microw.sae.SaeException;
import io.microw.tokenizer.Encodings;

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
        String canonical = lm.layers().resolve(layer);
        long[] shape = lm.inference().layerOutputShape(canonical);
        sae.checkInputWidth(shape[shape.length - 1], canonical);
        if (lm.hasTokenizer()) {
            concepts.setTokenDecoder(lm.tokenizer()::tokenText);
        }
        lm.layers().registerHook(canonical, this);
        model = lm;
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
        if (m == SaeMode.OBSERVE || (m == SaeMode.STEER && manipulations.isEmpty())) {
            return null;
        }
        NDArray x = call.activations();
        NDArray codes = enc != null && enc.batch() == call.batch() ? enc.codes() : sae.encode(x);
        NDArray edited = codes;
        long[] shape = x.getShape().getShape();
        NDArray mask = manipulations.scope().mask(call).reshape(shape[0], shape[1], 1);
        if (!manipulations.isEmpty()) {
            var manager = call.manager();
            NDArray clampMask = manager.create(manipulations.clampMask());
            NDArray scaled = codes.mul(manager.create(manipulations.scaleVector()))
                    .add(manager.create(manipulations.addVector()));
            NDArray clamped = scaled.mul(clampMask.neg().add(1f))
                    .add(manager.create(manipulations.clampValues()).mul(clampMask));
            edited = clamped.mul(mask).add(codes.mul(mask.neg().add(1f)));
            concepts.recordEditedLatents(sparse(edited, call.batch()));
        }
        if (m == SaeMode.REPLACE) {
            return sae.decode(edited).mul(mask).add(x.mul(mask.neg().add(1f)));
        }
        return x.add(sae.decodeDirection(edited.sub(codes)));
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
        Encodings enc = batch.encodings();
        long[][] special = enc != null && past == 0 ? enc.specialTokensMask() : null;
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
