package io.microw.cli;

import io.microw.hooks.FunctionController;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.LanguageModel;
import io.microw.lm.Layers;
import io.microw.lm.UnknownLayerException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hooks that {@code --capture LAYER} and {@code --scale LAYER=FACTOR} ask for, registered on a model: a
 * {@link LayerActivationDetector} per captured layer and a {@link FunctionController} per scaled layer. Closing it
 * unregisters them and frees the captures.
 */
final class HookFlags implements AutoCloseable {

    private final LanguageModel lm;
    private final List<String> hookIds = new ArrayList<>();
    private final Map<String, LayerActivationDetector> captures = new LinkedHashMap<>();
    private final List<String> scaled = new ArrayList<>();

    private HookFlags(LanguageModel lm) {
        this.lm = lm;
    }

    /**
     * Registers the hooks; an unknown layer is an {@link UnknownLayerException} naming the option (exit 1), a
     * container layer or a layer both captured and scaled a usage error.
     */
    static HookFlags register(CommandLine cmd, LanguageModel lm, List<String> capture, List<LayerScale> scales) {
        HookFlags flags = new HookFlags(lm);
        try {
            Map<String, String> scaledLayers = new LinkedHashMap<>();
            for (LayerScale s : scales) {
                String canonical = resolve(cmd, lm.layers(), "--scale", s.layer());
                if (scaledLayers.put(canonical, s.toString()) != null) {
                    throw new ParameterException(cmd, "--scale names layer " + canonical + " twice");
                }
                float factor = s.factor();
                flags.hookIds.add(lm.layers().registerHook(canonical, new FunctionController(canonical, x -> x.mul(factor))));
                flags.scaled.add(canonical + "=" + CliText.number(factor));
            }
            for (String layer : capture) {
                String canonical = resolve(cmd, lm.layers(), "--capture", layer);
                if (scaledLayers.containsKey(canonical)) {
                    throw new ParameterException(cmd, "--capture " + layer + " and --scale " + scaledLayers.get(canonical)
                            + " name the same layer; a layer takes a detector or a controller, not both: capture the "
                            + "next layer instead");
                }
                if (flags.captures.containsKey(canonical)) {
                    continue;
                }
                LayerActivationDetector detector = new LayerActivationDetector(canonical);
                flags.captures.put(canonical, detector);
                flags.hookIds.add(lm.layers().registerHook(canonical, detector));
            }
            return flags;
        } catch (RuntimeException e) {
            flags.close();
            throw e;
        }
    }

    /** The canonical name of a layer option's value; an unknown layer names the option and how to list layers. */
    static String resolve(CommandLine cmd, Layers layers, String option, String value) {
        String canonical;
        try {
            canonical = layers.resolve(value);
        } catch (UnknownLayerException e) {
            throw new UnknownLayerException(option + ": " + e.getMessage() + "; `microw model layers` lists them");
        }
        if (!layers.module(canonical).isCallable()) {
            throw new ParameterException(cmd, option + ": layer '" + canonical + "' is a container that never runs; "
                    + "name one of its children, e.g. '" + layers.module(canonical).children().get(0).name() + "'");
        }
        return canonical;
    }

    /** Captured layers (canonical names) and their detectors, in the order given. */
    Map<String, LayerActivationDetector> captures() {
        return captures;
    }

    /** "layer=factor" per scaled layer. */
    List<String> scaled() {
        return scaled;
    }

    @Override
    public void close() {
        for (String id : hookIds) {
            lm.layers().unregisterHook(id);
        }
        captures.values().forEach(LayerActivationDetector::close);
    }
}
