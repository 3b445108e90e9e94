package io.microw.testing;

import io.microw.io.SafetensorsFile;
import io.microw.lm.LanguageModel;
import io.microw.lm.LogitMetric;

import java.net.URISyntaxException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tiny fixture model with its PyTorch gradient and patching reference ({@code gradients/<arch>}: a clean and a
 * corrupted prompt, the answer tokens, gradients, patching and attribution tables; see its README).
 *
 * @param lm        the model
 * @param reference the reference values
 */
public record GradientCase(LanguageModel lm, SafetensorsFile reference) implements AutoCloseable {

    /**
     * Loads the model and reference of one architecture.
     *
     * @param arch {@code gpt2}, {@code llama} or {@code qwen2}
     * @return the case; close it
     * @throws URISyntaxException never for the test resources
     */
    public static GradientCase open(String arch) throws URISyntaxException {
        LanguageModel lm;
        try (Fixture fixture = Fixture.open(arch)) {
            lm = LanguageModel.load(fixture.modelDir());
        }
        String ref = "/gradients/" + arch + "/reference.safetensors";
        return new GradientCase(lm, SafetensorsFile.open(Path.of(GradientCase.class.getResource(ref).toURI())));
    }

    /**
     * Token ids stored under a key, as rows.
     *
     * @param key e.g. {@code clean_ids} ([1, 8]) or {@code batch/input_ids} ([2, 12])
     * @return the ids [rows][seq]
     */
    public long[][] ids(String key) {
        long[] flat = reference.readLongs(key);
        long[] shape = reference.info(key).shape();
        long[][] out = new long[(int) shape[0]][(int) shape[1]];
        for (int r = 0; r < out.length; r++) {
            System.arraycopy(flat, (int) (r * shape[1]), out[r], 0, out[r].length);
        }
        return out;
    }

    /**
     * The reference's metric: logit[A] − logit[B] of its {@code answer} tokens.
     *
     * @return the metric
     */
    public LogitMetric metric() {
        long[] answer = reference.readLongs("answer");
        return LogitMetric.logitDiff(answer[0], answer[1]);
    }

    /**
     * A scalar stored under a key.
     *
     * @param key e.g. {@code metric/clean}
     * @return its value
     */
    public float value(String key) {
        return reference.readFloats(key)[0];
    }

    /**
     * The largest difference between a table and a reference [rows, columns], after checking the table's shape.
     *
     * @param table the values
     * @param key   the reference, e.g. {@code patch/resid_pre}
     * @return the largest absolute difference
     */
    public double maxDiff(float[][] table, String key) {
        long[] shape = reference.info(key).shape();
        float[] expected = reference.readFloats(key);
        assertThat(table.length).as(key + " rows").isEqualTo(shape[0]);
        double max = 0;
        for (int r = 0; r < table.length; r++) {
            assertThat(table[r].length).as(key + " columns").isEqualTo(shape[1]);
            for (int c = 0; c < table[r].length; c++) {
                max = Math.max(max, Math.abs(table[r][c] - expected[(int) (r * shape[1] + c)]));
            }
        }
        return max;
    }

    @Override
    public void close() {
        reference.close();
        lm.close();
    }
}
