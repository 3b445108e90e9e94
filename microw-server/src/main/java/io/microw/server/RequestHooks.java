package io.microw.server;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.hooks.FunctionController;
import io.microw.hooks.LayerActivationDetector;
import io.microw.lm.Layers;
import io.microw.lm.LanguageModel;
import io.microw.lm.UnknownLayerException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hooks one request asks for, from its {@code hooks} array and the {@link #catalogue()} of types:
 * {@code {"type": "capture", "layer"}} registers a {@link LayerActivationDetector}, {@code {"type": "scale", "layer",
 * "factor"}} a {@link FunctionController} that multiplies the layer's output, {@code {"type": "ablate", "layer"}} one
 * that zeroes it. Registered under the model's lock; {@link #close()} unregisters them all.
 */
final class RequestHooks implements AutoCloseable {

    /** A parsed hook, not yet registered. */
    record Spec(String type, String layer, float factor) {
    }

    private final LanguageModel lm;
    private final List<String> ids = new ArrayList<>();
    private final Map<String, LayerActivationDetector> captures = new LinkedHashMap<>();
    private final List<ObjectNode> scales = new ArrayList<>();

    private RequestHooks(LanguageModel lm) {
        this.lm = lm;
    }

    /** The hook types a request may attach, with their fields: served at GET /api/hooks. */
    static ArrayNode catalogue() {
        ArrayNode types = Json.array();
        hookType(types, "capture", "detector", "Records the layer's output: shape, mean, std, min, max, norm and the "
                + "norm at each token (infer only)", "layer");
        hookType(types, "scale", "controller", "Multiplies the layer's output by 'factor'", "layer", "factor");
        hookType(types, "ablate", "controller", "Replaces the layer's output with zeros", "layer");
        return types;
    }

    private static void hookType(ArrayNode types, String type, String kind, String description, String... fields) {
        ObjectNode t = types.addObject();
        t.put("type", type);
        t.put("kind", kind);
        t.put("description", description);
        ArrayNode f = t.putArray("fields");
        for (String field : fields) {
            f.add(field);
        }
    }

    /** Parses and checks a {@code hooks} array (null or missing: none). */
    static List<Spec> parse(JsonNode hooks, boolean allowCapture) {
        List<Spec> specs = new ArrayList<>();
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
            String type = Requests.text(h, "type", true);
            String layer = Requests.text(h, "layer", true);
            switch (type) {
                case "capture" -> {
                    if (!allowCapture) {
                        throw ApiException.badRequest("hook type 'capture' is not available here; use 'scale' or "
                                + "'ablate'");
                    }
                    specs.add(new Spec(type, layer, 1));
                }
                case "scale" -> {
                    Double factor = Requests.number(h, "factor");
                    if (factor == null) {
                        throw ApiException.badRequest("a 'scale' hook needs a number 'factor'");
                    }
                    specs.add(new Spec(type, layer, factor.floatValue()));
                }
                case "ablate" -> specs.add(new Spec(type, layer, 0));
                default -> throw ApiException.badRequest("unknown hook type '" + type + "'; known: capture, scale, "
                        + "ablate (GET /api/hooks describes them)");
            }
        }
        return specs;
    }

    /** Registers the hooks; on any failure unregisters those already registered. Call under the model's lock. */
    static RequestHooks register(LanguageModel lm, List<Spec> specs) {
        RequestHooks hooks = new RequestHooks(lm);
        try {
            Map<String, String> scaled = new LinkedHashMap<>();
            for (Spec s : specs) {
                if (!s.type().equals("capture")) { // a controller: scale or ablate
                    String layer = resolve(lm.layers(), s.layer());
                    if (scaled.put(layer, s.layer()) != null) {
                        throw ApiException.badRequest("layer '" + layer + "' has two controllers (scale or ablate); "
                                + "give one per layer");
                    }
                    float factor = s.factor();
                    boolean ablate = s.type().equals("ablate");
                    hooks.ids.add(lm.layers().registerHook(layer, new FunctionController(layer,
                            ablate ? NDArray::zerosLike : x -> x.mul(factor))));
                    ObjectNode n = Json.object();
                    n.put("type", s.type());
                    n.put("layer", layer);
                    if (!ablate) {
                        n.put("factor", factor);
                    }
                    hooks.scales.add(n);
                }
            }
            for (Spec s : specs) {
                if (s.type().equals("capture")) {
                    String layer = resolve(lm.layers(), s.layer());
                    if (scaled.containsKey(layer)) {
                        throw ApiException.badRequest("layer '" + layer + "' is both captured and scaled; a layer takes "
                                + "a detector or a controller, not both: capture the next layer instead");
                    }
                    if (hooks.captures.containsKey(layer)) {
                        continue;
                    }
                    LayerActivationDetector d = new LayerActivationDetector(layer);
                    hooks.captures.put(layer, d);
                    hooks.ids.add(lm.layers().registerHook(layer, d));
                }
            }
            return hooks;
        } catch (RuntimeException e) {
            hooks.close();
            throw e;
        }
    }

    /** The canonical name of a hookable layer; 400 for an unknown layer or a container. */
    static String resolve(Layers layers, String value) {
        String canonical;
        try {
            canonical = layers.resolve(value);
        } catch (UnknownLayerException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        if (!layers.module(canonical).isCallable()) {
            throw ApiException.badRequest("layer '" + canonical + "' is a container that never runs; name one of its "
                    + "children");
        }
        return canonical;
    }

    /** Per-hook results after a forward: captured stats, then the scale hooks as applied. */
    ArrayNode results() {
        ArrayNode out = Json.array();
        for (ObjectNode s : scales) {
            out.add(s.deepCopy());
        }
        for (Map.Entry<String, LayerActivationDetector> e : captures.entrySet()) {
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
        for (String id : ids) {
            lm.layers().unregisterHook(id);
        }
        ids.clear();
        captures.values().forEach(LayerActivationDetector::close);
    }
}
