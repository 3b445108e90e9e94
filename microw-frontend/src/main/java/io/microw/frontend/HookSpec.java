package io.microw.frontend;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One hook a front end asks for on a layer, before it is registered: {@code capture} records the layer's output, {@code
 * scale} multiplies it by {@code factor}, {@code ablate} replaces it with zeros. The command line builds these from
 * {@code --capture} and {@code --scale}, the server from a request's {@code hooks} array; {@link RegisteredHooks}
 * checks and registers them for both.
 *
 * @param kind   what the hook does
 * @param layer  the layer as given: a name, an alias or an index
 * @param factor the factor of a scale hook (1 for a capture, 0 for an ablation)
 */
public record HookSpec(Kind kind, String layer, float factor) {

    /** What a hook does to its layer. */
    public enum Kind {
        /** A detector that records the layer's output. */
        CAPTURE,
        /** A controller that multiplies the layer's output by a factor. */
        SCALE,
        /** A controller that replaces the layer's output with zeros. */
        ABLATE;

        /**
         * The kind's name in requests: {@code capture}, {@code scale}, {@code ablate}.
         *
         * @return the name
         */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * Whether hooks of this kind change the layer's output (scale, ablate) rather than observe it.
         *
         * @return true for a controller
         */
        public boolean isController() {
            return this != CAPTURE;
        }

        /**
         * The kind named {@code id}; an unknown one is a {@link HookSpecException} naming it and the known ones.
         *
         * @param id the name
         * @return the kind
         */
        public static Kind fromId(String id) {
            for (Kind k : values()) {
                if (k.id().equals(id)) {
                    return k;
                }
            }
            throw new HookSpecException(null, "unknown hook type '" + id + "'; known: "
                    + Arrays.stream(values()).map(Kind::id).collect(Collectors.joining(", ")));
        }
    }

    /** Checks the fields: a kind and a layer, and a finite factor. */
    public HookSpec {
        Objects.requireNonNull(kind, "hook kind");
        Objects.requireNonNull(layer, "hook layer");
        if (!Float.isFinite(factor)) {
            throw new HookSpecException(null, "the factor of a 'scale' hook on '" + layer
                    + "' must be a finite number, got " + factor);
        }
    }

    /**
     * A hook that records {@code layer}'s output.
     *
     * @param layer the layer
     * @return the spec
     */
    public static HookSpec capture(String layer) {
        return new HookSpec(Kind.CAPTURE, layer, 1);
    }

    /**
     * A hook that multiplies {@code layer}'s output by {@code factor}.
     *
     * @param layer  the layer
     * @param factor the factor, finite
     * @return the spec
     */
    public static HookSpec scale(String layer, float factor) {
        return new HookSpec(Kind.SCALE, layer, factor);
    }

    /**
     * A hook that zeroes {@code layer}'s output.
     *
     * @param layer the layer
     * @return the spec
     */
    public static HookSpec ablate(String layer) {
        return new HookSpec(Kind.ABLATE, layer, 0);
    }

    /**
     * A hook from a front end's fields: its type's name, its layer and, for {@code scale} only, its factor. An unknown
     * type, or a scale hook without a factor, is a {@link HookSpecException}.
     *
     * @param type   {@code capture}, {@code scale} or {@code ablate}
     * @param layer  the layer
     * @param factor the factor, or null when none was given
     * @return the spec
     */
    public static HookSpec of(String type, String layer, Double factor) {
        return switch (Kind.fromId(type)) {
            case CAPTURE -> capture(layer);
            case ABLATE -> ablate(layer);
            case SCALE -> {
                if (factor == null) {
                    throw new HookSpecException(null, "a 'scale' hook needs a number 'factor'");
                }
                yield scale(layer, factor.floatValue());
            }
        };
    }
}
