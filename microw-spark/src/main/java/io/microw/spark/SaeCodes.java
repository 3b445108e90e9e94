package io.microw.spark;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.microw.sae.Sae;

import java.util.List;

/** Encodes extracted token vectors with an SAE, a batch at a time, into a heap array of dense codes. */
final class SaeCodes {

    private SaeCodes() {
    }

    /**
     * The SAE's codes for {@code vectors} (each of its input width), row-major [vectors, d_sae]; the NDArrays live in
     * a manager closed before returning.
     */
    static float[] encode(Sae sae, List<float[]> vectors, String column) {
        int d = sae.config().dIn();
        float[] flat = new float[vectors.size() * d];
        for (int i = 0; i < vectors.size(); i++) {
            float[] v = vectors.get(i);
            sae.checkInputWidth(v.length, column);
            System.arraycopy(v, 0, flat, i * d, d);
        }
        try (NDManager manager = sae.newManager()) {
            NDArray x = manager.create(flat, new Shape(vectors.size(), d));
            return sae.encode(x).toFloatArray();
        }
    }
}
