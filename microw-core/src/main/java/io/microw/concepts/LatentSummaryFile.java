package io.microw.concepts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import io.microw.io.JsonMapper;

import java.nio.file.Path;

/**
 * Per-latent firing statistics read from the JSON that {@code microw spark stats} writes: {@code {"tokens": N,
 * "latents": [{"latent", "firings", "frequency", "mean", "max", "histogram_upper", "histogram", ...}]}}, one entry per
 * latent in order. {@code histogram} and {@code histogram_upper} may be left out together: then
 * {@link #histogram} is empty. Other fields (the log-spaced histogram) are not read.
 */
public final class LatentSummaryFile implements LatentSummary {

    private static final String WHAT = "statistics file";
    private static final ObjectReader JSON = JsonMapper.mapper().reader()
            .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final long tokens;
    private final long[] firings;
    private final double[] frequency;
    private final double[] mean;
    private final float[] max;
    private final long[][] histogram;
    private final float[] upper;

    private LatentSummaryFile(int latents, long tokens) {
        this.tokens = tokens;
        firings = new long[latents];
        frequency = new double[latents];
        mean = new double[latents];
        max = new float[latents];
        histogram = new long[latents][];
        upper = new float[latents];
    }

    /**
     * Reads the statistics of an SAE of {@code latents} latents.
     *
     * @param file    the JSON file
     * @param latents the SAE's latent count: the file must have one entry per latent
     * @return the statistics
     * @throws ConceptException when the file is missing, not JSON, lacks a field or has one of the wrong type (the
     *                          message names the file, the latent and the field), or is for another latent count
     */
    public static LatentSummaryFile read(Path file, int latents) {
        JsonNode root;
        try {
            root = JSON.readTree(Utf8File.read(WHAT, file));
        } catch (JsonProcessingException e) {
            throw new ConceptException(WHAT + " " + file + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        String at = WHAT + " " + file;
        if (!root.isObject() || !root.path("latents").isArray()) {
            throw new ConceptException(at + ": expected an object {\"tokens\": N, \"latents\": [...]} as `microw spark "
                    + "stats` writes");
        }
        JsonNode list = root.get("latents");
        if (list.size() != latents) {
            throw new ConceptException(at + " holds " + list.size() + " latents; the SAE has " + latents);
        }
        LatentSummaryFile s = new LatentSummaryFile(latents, integer(at, root, "tokens"));
        for (int l = 0; l < latents; l++) {
            JsonNode e = list.get(l);
            String here = at + ", latents[" + l + "]";
            if (!e.isObject() || integer(here, e, "latent") != l) {
                throw new ConceptException(here + ": expected the entry of latent " + l + " ({\"latent\": " + l
                        + ", ...}), in order");
            }
            s.firings[l] = integer(here, e, "firings");
            s.frequency[l] = number(here, e, "frequency");
            s.mean[l] = number(here, e, "mean");
            s.max[l] = (float) number(here, e, "max");
            if (e.has("histogram") || e.has("histogram_upper")) {
                s.upper[l] = (float) number(here, e, "histogram_upper");
                JsonNode h = e.get("histogram");
                if (h == null || !h.isArray() || h.isEmpty()) {
                    throw new ConceptException(here + ": 'histogram' must be a non-empty array of counts");
                }
                s.histogram[l] = new long[h.size()];
                for (int i = 0; i < h.size(); i++) {
                    if (!h.get(i).isIntegralNumber() || h.get(i).longValue() < 0) {
                        throw new ConceptException(here + ": 'histogram' must hold counts (integers >= 0), got "
                                + h.get(i) + " at " + i);
                    }
                    s.histogram[l][i] = h.get(i).longValue();
                }
            } else {
                s.histogram[l] = new long[0];
            }
        }
        return s;
    }

    private static long integer(String at, JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || !v.isIntegralNumber() || v.longValue() < 0) {
            throw new ConceptException(at + ": '" + name + "' must be an integer >= 0, got "
                    + (v == null ? "nothing" : v.toString()));
        }
        return v.longValue();
    }

    private static double number(String at, JsonNode o, String name) {
        JsonNode v = o.get(name);
        if (v == null || !v.isNumber()) {
            throw new ConceptException(at + ": '" + name + "' must be a number, got " + (v == null ? "nothing"
                    : v.toString()));
        }
        return v.doubleValue();
    }

    @Override
    public long tokens() {
        return tokens;
    }

    @Override
    public long firings(int latent) {
        return firings[latent];
    }

    @Override
    public double frequency(int latent) {
        return frequency[latent];
    }

    @Override
    public double meanActivation(int latent) {
        return mean[latent];
    }

    @Override
    public float maxActivation(int latent) {
        return max[latent];
    }

    @Override
    public long[] histogram(int latent) {
        return histogram[latent].clone();
    }

    @Override
    public float histogramUpper(int latent) {
        return upper[latent];
    }
}
