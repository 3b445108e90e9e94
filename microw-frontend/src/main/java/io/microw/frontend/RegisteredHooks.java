package io.microw.frontend;

import ai.djl.ndarray.NDArray;
import io.microw.hooks.FunctionController;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.LanguageModel;
import io.microw.lm.Layers;
import io.microw.lm.UnknownLayerException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link HookSpec}s checked and registered on a model, the one place both front ends do it: a
 * {@link FunctionController} per scaled or ablated layer, then a {@link LayerActivationDetector} per captured layer (a
 * layer captured twice gets one). Every layer must be hookable ({@link #resolve}); a layer takes one controller, and a
 * layer with a controller is not captured too. Any refusal is a {@link HookSpecException} naming the hook, with
 * nothing left registered. Closing unregisters the hooks and frees the captures.
 */
public final class RegisteredHooks implements AutoCloseable {

    private final LanguageModel lm;
    private final List<String> ids = new ArrayList<>();
    private final Map<String, LayerActivationDetector> captures = new LinkedHashMap<>();
    private final List<HookSpec> controllers = new ArrayList<>();

    private RegisteredHooks(LanguageModel lm) {
        this.lm = lm;
    }

    /**
     * Checks and registers {@code specs} on {@code lm}; on a refusal unregisters those already registered.
     *
     * @param lm    the model
     * @param specs the hooks, in the order given
     * @return the registered hooks; close them to unregister
     */
    public static RegisteredHooks register(LanguageModel lm, List<HookSpec> specs) {
        RegisteredHooks hooks = new RegisteredHooks(lm);
        try {
            Map<String, HookSpec> controlled = new LinkedHashMap<>();
            for (HookSpec s : specs) {
                if (s.kind().isController()) {
                    String layer = resolve(lm.layers(), s);
                    if (controlled.put(layer, s) != null) {
                        throw new HookSpecException(s, "layer '" + layer + "' has two controllers (scale or "
                                + "ablate); give one per layer");
                    }
                    float factor = s.factor();
                    boolean ablate = s.kind() == HookSpec.Kind.ABLATE;
                    hooks.ids.add(lm.layers().registerHook(layer, new FunctionController(layer,
                            ablate ? NDArray::zerosLike : x -> x.mul(factor))));
                    hooks.controllers.add(new HookSpec(s.kind(), layer, factor));
                }
            }
            for (HookSpec s : specs) {
                if (!s.kind().isController()) {
                    String layer = resolve(lm.layers(), s);
                    if (controlled.containsKey(layer)) {
                        throw new HookSpecException(s, "layer '" + layer + "' is both captured and "
                                + controlled.get(layer).kind().id() + "d: a layer takes a detector or a controller, "
                                + "not both, so they cannot name the same layer; capture the next layer instead");
                    }
                    if (!hooks.captures.containsKey(layer)) {
                        LayerActivationDetector detector = new LayerActivationDetector(layer);
                        hooks.captures.put(layer, detector);
                        hooks.ids.add(lm.layers().registerHook(layer, detector));
                    }
                }
            }
            return hooks;
        } catch (RuntimeException e) {
            hooks.close();
            throw e;
        }
    }

    private static String resolve(Layers layers, HookSpec spec) {
        try {
            return resolve(layers, spec.layer());
        } catch (HookSpecException e) {
            throw new HookSpecException(spec, e.getMessage(), e.getCause());
        }
    }

    /**
     * The canonical name of a layer a hook can sit on; an unknown layer (the cause: the core's
     * {@link UnknownLayerException}, with the closest names) or a container that never runs is a
     * {@link HookSpecException}.
     *
     * @param layers the model's layers
     * @param value  a name, an alias or an index
     * @return the canonical name
     */
    public static String resolve(Layers layers, String value) {
        String canonical;
        try {
            canonical = layers.resolve(value);
        } catch (UnknownLayerException e) {
            throw new HookSpecException(null, e.getMessage(), e);
        }
        if (!layers.module(canonical).isCallable()) {
            throw new HookSpecException(null, "layer '" + canonical + "' is a container that never runs; name one of "
                    + "its children, e.g. '" + layers.module(canonical).children().get(0).name() + "'");
        }
        return canonical;
    }

    /**
     * Captured layers (canonical names) and their detectors, in the order given.
     *
     * @return the captures
     */
    public Map<String, LayerActivationDetector> captures() {
        return Collections.unmodifiableMap(captures);
    }

    /**
     * The scale and ablate hooks as registered, with canonical layer names, in the order given.
     *
     * @return the controllers
     */
    public List<HookSpec> controllers() {
        return Collections.unmodifiableList(controllers);
    }

    @Override
    public void close() {
        for (String id : ids) {
            lm.layers().unregisterHook(id);
        }
        ids.clear();
        captures.values().forEach(LayerActivationDetector::close);
    }
}
