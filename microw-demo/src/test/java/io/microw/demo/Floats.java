package io.microw.demo;

import ai.djl.ndarray.NDArray;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.lm.InferenceOptions;

import java.util.List;

/** Heap copies of tensors and the comparisons the demo-model tests make on them. */
final class Floats {

    private Floats() {
    }

    /** A heap copy of a tensor with its shape. */
    record Tensor(long[] shape, float[] values) {

        static Tensor of(NDArray a) {
            return new Tensor(a.getShape().getShape(), a.toFloatArray());
        }

        /** Size of the last dimension. */
        int last() {
            return (int) shape[shape.length - 1];
        }

        /** Element [b, s, i] of a [batch, seq, dim] tensor. */
        float at(int b, int s, int i) {
            return values[(b * (int) shape[1] + s) * last() + i];
        }

        /** Row [b, s, :] of a [batch, seq, dim] tensor. */
        float[] row(int b, int s) {
            float[] out = new float[last()];
            System.arraycopy(values, (b * (int) shape[1] + s) * last(), out, 0, out.length);
            return out;
        }
    }

    /** Logits of one run with the model's current hooks, copied to the heap; the result is closed. */
    static Tensor logits(LanguageModel lm, List<String> texts) {
        try (InferenceResult r = lm.inference().executeInference(texts)) {
            return Tensor.of(r.logits());
        }
    }

    static Tensor logits(LanguageModel lm, List<String> texts, InferenceOptions options) {
        try (InferenceResult r = lm.inference().executeInference(texts, options)) {
            return Tensor.of(r.logits());
        }
    }

    static double maxDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs(a[i] - b[i]);
            if (Double.isNaN(d)) {
                return Double.POSITIVE_INFINITY;
            }
            max = Math.max(max, d);
        }
        return max;
    }

    static double maxDiff(Tensor a, Tensor b) {
        if (!java.util.Arrays.equals(a.shape(), b.shape())) {
            throw new AssertionError("shapes differ: " + java.util.Arrays.toString(a.shape()) + " vs "
                    + java.util.Arrays.toString(b.shape()));
        }
        return maxDiff(a.values(), b.values());
    }

    static float[] scaled(float[] a, float s) {
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] * s;
        }
        return out;
    }

    static double meanAbs(float[] a) {
        double sum = 0;
        for (float v : a) {
            sum += Math.abs(v);
        }
        return sum / a.length;
    }

    static double mean(float[] a) {
        double sum = 0;
        for (float v : a) {
            sum += v;
        }
        return sum / a.length;
    }

    static double std(float[] a) {
        double m = mean(a);
        double sum = 0;
        for (float v : a) {
            sum += (v - m) * (v - m);
        }
        return Math.sqrt(sum / a.length);
    }
}
