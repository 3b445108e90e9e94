package io.microw.concepts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.AtomicFiles;
import io.microw.io.JsonMapper;
import io.microw.sae.SaeException;
import io.microw.steering.PositionScope;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Per-latent edits applied to an SAE's codes before decoding: scale (multiply), add (a value added where the
 * scope applies) and clamp (pin to a value). A latent without an edit is untouched: nothing is added by default.
 * Saved and loaded as JSON: {@code {"n_latents": N, "position_scope": "ALL", "scale": {"42": 1.5}, "add": {},
 * "clamp": {}}}.
 */
public final class ConceptManipulations {

    private static final ObjectMapper JSON = JsonMapper.mapper();

    private static final ObjectWriter PRETTY = JsonMapper.pretty();

    private final int latents;
    private final Map<Integer, Float> scale = new TreeMap<>();
    private final Map<Integer, Float> add = new TreeMap<>();
    private final Map<Integer, Float> clamp = new TreeMap<>();
    private PositionScope scope = PositionScope.ALL;

    /**
     * No manipulations, for an SAE with {@code latents} latents; scope ALL.
     *
     * @param latents the SAE's latent count
     */
    public ConceptManipulations(int latents) {
        this.latents = latents;
    }

    /**
     * Multiplies latent {@code latent}'s code by {@code factor} (mi-crow's manipulate_concept).
     *
     * @param latent the latent's index
     * @param factor the multiplier, finite
     */
    public void scale(int latent, double factor) {
        scale.put(check(latent), finite("scale", factor));
    }

    /**
     * Adds {@code value} to the latent's code at every scoped position.
     *
     * @param latent the latent's index
     * @param value the amount to add, finite
     */
    public void add(int latent, double value) {
        add.put(check(latent), finite("add value", value));
    }

    /**
     * Pins the latent's code to {@code value} at every scoped position.
     *
     * @param latent the latent's index
     * @param value the value, finite
     */
    public void clamp(int latent, double value) {
        clamp.put(check(latent), finite("clamp value", value));
    }

    /** Forgets every edit (the scope stays). */
    public void reset() {
        scale.clear();
        add.clear();
        clamp.clear();
    }

    /**
     * Whether no latent is scaled, shifted or clamped.
     *
     * @return true when there is nothing to apply
     */
    public boolean isEmpty() {
        return scale.isEmpty() && add.isEmpty() && clamp.isEmpty();
    }

    /**
     * The positions the manipulations apply to.
     *
     * @return the position scope
     */
    public PositionScope scope() {
        return scope;
    }

    /**
     * Sets the positions the manipulations apply to.
     *
     * @param scope the position scope
     */
    public void setScope(PositionScope scope) {
        this.scope = java.util.Objects.requireNonNull(scope, "scope");
    }

    /**
     * Number of latents of the SAE these manipulations are for.
     *
     * @return the latent count
     */
    public int latents() {
        return latents;
    }

    /**
     * Per-latent multipliers (1 where none is set).
     *
     * @return a new array, one entry per latent
     */
    public float[] scaleVector() {
        float[] v = new float[latents];
        java.util.Arrays.fill(v, 1f);
        scale.forEach((l, f) -> v[l] = f);
        return v;
    }

    /**
     * Per-latent additions (0 where none is set).
     *
     * @return a new array, one entry per latent
     */
    public float[] addVector() {
        float[] v = new float[latents];
        add.forEach((l, f) -> v[l] = f);
        return v;
    }

    /**
     * 1 where a latent is clamped.
     *
     * @return a new array, one entry per latent
     */
    public float[] clampMask() {
        float[] v = new float[latents];
        clamp.forEach((l, f) -> v[l] = 1f);
        return v;
    }

    /**
     * The clamp values (0 where none is set).
     *
     * @return a new array, one entry per latent
     */
    public float[] clampValues() {
        float[] v = new float[latents];
        clamp.forEach((l, f) -> v[l] = f);
        return v;
    }

    /**
     * The edits as mi-crow-style maps by latent.
     *
     * @return the scale factors by latent
     */
    public Map<Integer, Float> scales() {
        return Map.copyOf(scale);
    }

    /**
     * The additions by latent.
     *
     * @return the additions by latent
     */
    public Map<Integer, Float> additions() {
        return Map.copyOf(add);
    }

    /**
     * The clamp values by latent.
     *
     * @return the clamp values by latent
     */
    public Map<Integer, Float> clamps() {
        return Map.copyOf(clamp);
    }

    /**
     * Writes the edits as JSON (atomically).
     *
     * @param file the file to write
     */
    public void save(Path file) {
        ObjectNode root = JSON.createObjectNode();
        root.put("n_latents", latents);
        root.put("position_scope", scope.name());
        root.set("scale", JSON.valueToTree(keyed(scale)));
        root.set("add", JSON.valueToTree(keyed(add)));
        root.set("clamp", JSON.valueToTree(keyed(clamp)));
        try {
            AtomicFiles.write(file, out -> PRETTY.writeValue(out, root));
        } catch (IOException e) {
            throw new SaeException("could not write manipulations: " + e.getMessage(), e);
        }
    }

    /**
     * Reads edits saved by {@link #save}, checked against an SAE with {@code latents} latents.
     *
     * @param file a file written by {@link #save}
     * @param latents the SAE's latent count
     * @return the manipulations
     */
    public static ConceptManipulations load(Path file, int latents) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new SaeException("could not read manipulations from " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new SaeException(file + " is not a JSON object of manipulations");
        }
        if (root.has("n_latents") && root.get("n_latents").asInt() != latents) {
            throw new SaeException(file + " was made for an SAE with " + root.get("n_latents").asInt()
                    + " latents; this SAE has " + latents);
        }
        ConceptManipulations m = new ConceptManipulations(latents);
        if (root.has("position_scope")) {
            try {
                m.setScope(PositionScope.valueOf(root.get("position_scope").asText()));
            } catch (IllegalArgumentException e) {
                throw new SaeException(file + ": unknown position_scope '" + root.get("position_scope").asText()
                        + "'; expected ALL, PROMPT or GENERATED");
            }
        }
        read(root, "scale", file, m::scale);
        read(root, "add", file, m::add);
        read(root, "clamp", file, m::clamp);
        return m;
    }

    private interface Edit {
        void apply(int latent, double value);
    }

    private static void read(JsonNode root, String key, Path file, Edit edit) {
        JsonNode node = root.get(key);
        if (node == null || node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw new SaeException(file + ": '" + key + "' must be an object of latent index to number");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int latent;
            try {
                latent = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw new SaeException(file + ": '" + key + "' has key '" + e.getKey() + "', expected a latent index");
            }
            if (!e.getValue().isNumber()) {
                throw new SaeException(file + ": " + key + "[" + latent + "] is " + e.getValue() + ", expected a number");
            }
            try {
                edit.apply(latent, e.getValue().asDouble());
            } catch (SaeException ex) {
                throw new SaeException(file + ": " + ex.getMessage(), ex);
            }
        }
    }

    private static Map<String, Float> keyed(Map<Integer, Float> m) {
        Map<String, Float> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(Integer.toString(k), v));
        return out;
    }

    private int check(int latent) {
        if (latent < 0 || latent >= latents) {
            throw new SaeException("latent index " + latent + " is out of range: this SAE has latents 0.." + (latents - 1));
        }
        return latent;
    }

    private static float finite(String what, double v) {
        if (!Double.isFinite(v)) {
            throw new SaeException(what + " must be a finite number, got " + v);
        }
        return (float) v;
    }
}
