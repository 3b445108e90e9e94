package io.microw.lm;

import java.util.Arrays;
import java.util.Random;

/** Picks the next token from one row of logits: argmax, or a draw after temperature, top-k and top-p. */
final class TokenSampler {

    private final GenerationConfig config;
    private final Random random;

    TokenSampler(GenerationConfig config) {
        this.config = config;
        this.random = new Random(config.seed());
    }

    int next(float[] logits) {
        return config.doSample() ? sample(logits) : argmax(logits);
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private int sample(float[] logits) {
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = config.topK() > 0 ? Math.min(config.topK(), n) : n;
        double max = logits[order[0]] / config.temperature();
        double[] probs = new double[keep];
        double sum = 0;
        for (int i = 0; i < keep; i++) {
            probs[i] = Math.exp(logits[order[i]] / config.temperature() - max);
            sum += probs[i];
        }
        double cumulative = 0;
        int nucleus = keep;
        for (int i = 0; i < keep; i++) {
            probs[i] /= sum;
            cumulative += probs[i];
            if (cumulative >= config.topP()) {
                nucleus = i + 1;
                break;
            }
        }
        double total = 0;
        for (int i = 0; i < nucleus; i++) {
            total += probs[i];
        }
        double r = random.nextDouble() * total;
        for (int i = 0; i < nucleus; i++) {
            r -= probs[i];
            if (r <= 0) {
                return order[i];
            }
        }
        return order[nucleus - 1];
    }
}
