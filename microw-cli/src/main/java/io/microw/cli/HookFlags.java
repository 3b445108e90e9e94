package io.microw.cli;

import io.microw.frontend.HookSpec;
import io.microw.frontend.HookSpecException;
import io.microw.frontend.RegisteredHooks;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.LanguageModel;
import io.microw.lm.Layers;
import io.microw.lm.UnknownLayerException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The hooks that {@code --capture LAYER} and {@code --scale LAYER=FACTOR} ask for, as {@link HookSpec}s registered
 * by {@link RegisteredHooks} (which checks them as the server does). Closing it unregisters them and frees the
 * captures.
 */
final class HookFlags implements AutoCloseable {

    private final RegisteredHooks hooks;

    private HookFlags(RegisteredHooks hooks) {
        this.hooks = hooks;
    }

    /**
     * Registers the hooks; an unknown layer is an {@link UnknownLayerException} naming the option (exit 1), any other
     * refusal a usage error naming the option.
     */
    static HookFlags register(CommandLine cmd, LanguageModel lm, List<String> capture, List<LayerScale> scales) {
        List<HookSpec> specs = new ArrayList<>();
        scales.forEach(s -> specs.add(HookSpec.scale(s.layer(), s.factor())));
        capture.forEach(layer -> specs.add(HookSpec.capture(layer)));
        try {
            return new HookFlags(RegisteredHooks.register(lm, specs));
        } catch (HookSpecException e) {
            String option = e.spec() == null || e.spec().kind().isController() ? "--scale" : "--capture";
            throw refusal(cmd, option, e);
        }
    }

    /** The canonical name of a layer option's value; an unknown layer names the option and how to list layers. */
    static String resolve(CommandLine cmd, Layers layers, String option, String value) {
        try {
            return RegisteredHooks.resolve(layers, value);
        } catch (HookSpecException e) {
            throw refusal(cmd, option, e);
        }
    }

    private static RuntimeException refusal(CommandLine cmd, String option, HookSpecException e) {
        if (e.getCause() instanceof UnknownLayerException) {
            return new UnknownLayerException(option + ": " + e.getMessage() + "; `microw model layers` lists them");
        }
        return new ParameterException(cmd, option + ": " + e.getMessage());
    }

    /** Captured layers (canonical names) and their detectors, in the order given. */
    Map<String, LayerActivationDetector> captures() {
        return hooks.captures();
    }

    /** "layer=factor" per scaled layer. */
    List<String> scaled() {
        return hooks.controllers().stream().map(s -> s.layer() + "=" + CliText.number(s.factor())).toList();
    }

    @Override
    public void close() {
        hooks.close();
    }
}
