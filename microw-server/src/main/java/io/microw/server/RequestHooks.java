package io.microw.server;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.frontend.HookSpec;
import io.microw.frontend.HookSpecException;
import io.microw.frontend.RegisteredHooks;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.Layers;
import io.microw.lm.LanguageModel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The hooks one request asks for, from its {@code hooks} array and the {@link #catalogue()} of types:
 * {@code {"type": "capture", "layer"}}, {@code {"type": "scale", "layer", "factor"}} and {@code {"type": "ablate",
 * "layer"}} become {@link HookSpec}s, which {@link RegisteredHooks} checks and registers as the command line's
 * flags are. Registered under the model's lock; {@link #close()} unregisters them all.
 */
final class RequestHooks implements AutoCloseable {

    private final RegisteredHooks hooks;

    private RequestHooks(RegisteredHooks hooks) {
        this.hooks = hooks;
    }

    /** The hook types a request may attach, with their fields: served at GET /api/hooks. */
    static ArrayNode catalogue() {
        ArrayNode types = Json.array();
        hookType(types, HookSpec.Kind.CAPTURE, "detector", "Records the layer's output: shape, mean, std, min, max, "
                + "norm and the norm at each token (infer only)", "layer");
        hookType(types, HookSpec.Kind.SCALE, "controller", "Multiplies the layer's output by 'factor'", "layer",
                "factor");
        hookType(types, HookSpec.Kind.ABLATE, "controller", "Replaces the layer's output with zeros", "layer");
        return types;
    }

    private static void hookType(ArrayNode types, HookSpec.Kind type, String kind, String description,
                                 String... fields) {
        ObjectNode t = types.addObject();
        t.put("type", type.id());
        t.put("kind", kind);
        t.put("description", description);
        ArrayNode f = t.putArray("fields");
        for (String field : fields) {
            f.add(field);
        }
    }

    /** Parses a {@code hooks} array (null or missing: none); 400 for a malformed or refused hook. */
    static List<HookSpec> parse(JsonNode hooks, boolean allowCapture) {
        List<HookSpec> specs = new ArrayList<>();
        if (hooks == null || hooks.isNull() || hooks.isMissingNode()) {
            return specs;
        }
        if (!hooks.isArray()) {
            throw ApiException.badRequest("'hooks' must be an array");
        }
        if (hooks.size() > 32) {
            throw ApiException.badRequest("at most 32 hooks per request, got " + hooks.size());
        }
        for (JsonNode h : hooks) {
            HookSpec spec;
            try {
                spec = HookSpec.of(Requests.text(h, "type", true), Requests.text(h, "layer", true),
                        Requests.number(h, "factor"));
            } catch (HookSpecException e) {
                throw ApiException.badRequest(e.getMessage() + " (GET /api/hooks describes the hook types)");
            }
            if (!allowCapture && !spec.kind().isController()) {
                throw ApiException.badRequest("hook type 'capture' is not available here; use 'scale' or 'ablate'");
            }
            specs.add(spec);
        }
        return specs;
    }

    /** Registers the hooks; 400 for a refused one, with none left registered. Call under the model's lock. */
    static RequestHooks register(LanguageModel lm, List<HookSpec> specs) {
        try {
            return new RequestHooks(RegisteredHooks.register(lm, specs));
        } catch (HookSpecException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /** The canonical name of a hookable layer; 400 for an unknown layer or a container. */
    static String resolve(Layers layers, String value) {
        try {
            return RegisteredHooks.resolve(layers, value);
        } catch (HookSpecException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /** Per-hook results after a forward: captured stats, then the scale hooks as applied. */
    ArrayNode results() {
        ArrayNode out = Json.array();
        for (HookSpec s : hooks.controllers()) {
            ObjectNode n = out.addObject();
            n.put("type", s.kind().id());
            n.put("layer", s.layer());
            if (s.kind() == HookSpec.Kind.SCALE) {
                n.put("factor", s.factor());
            }
        }
        for (Map.Entry<String, LayerActivationDetector> e : hooks.captures().entrySet()) {
            ObjectNode c = out.addObject();
            c.put("type", "capture");
            c.put("layer", e.getKey());
            NDArray captured = e.getValue().getCaptured();
            if (captured == null) {
                c.putNull("shape");
                continue;
            }
            ArrayNode shape = c.putArray("shape");
            for (long d : captured.getShape().getShape()) {
                shape.add(d);
            }
            float[] v = captured.getDataType() == DataType.FLOAT32 ? captured.toFloatArray()
                    : captured.toType(DataType.FLOAT32, false).toFloatArray();
            double sum = 0;
            double squares = 0;
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (float x : v) {
                sum += x;
                squares += (double) x * x;
                min = Math.min(min, x);
                max = Math.max(max, x);
            }
            double mean = v.length == 0 ? Double.NaN : sum / v.length;
            double dev = 0;
            for (float x : v) {
                dev += (x - mean) * (x - mean);
            }
            Json.putNumber(c, "mean", mean);
            Json.putNumber(c, "std", v.length == 0 ? Double.NaN : Math.sqrt(dev / v.length));
            Json.putNumber(c, "min", min);
            Json.putNumber(c, "max", max);
            Json.putNumber(c, "norm", Math.sqrt(squares));
            c.set("token_norms", rowNorms(v, (int) captured.getShape().get(captured.getShape().dimension() - 1)));
            e.getValue().clearCaptured();
        }
        return out;
    }

    /** L2 norm of each row of {@code width} values (one row per token: infer runs one text per forward). */
    private static ArrayNode rowNorms(float[] v, int width) {
        ArrayNode norms = Json.array();
        for (int start = 0; width > 0 && start + width <= v.length; start += width) {
            double sq = 0;
            for (int i = start; i < start + width; i++) {
                sq += (double) v[i] * v[i];
            }
            norms.add((float) Math.sqrt(sq));
        }
        return norms;
    }

    @Override
    public void close() {
        hooks.close();
    }
}
