package io.microw.lm;

/**
 * How {@code generate} decodes: greedy, or sampled with temperature, top-k and top-p from a seed; how many
 * tokens at most; whether to stop at the end-of-sequence token.
 */
public final class GenerationConfig {

    private final int maxNewTokens;
    private final boolean doSample;
    private final double temperature;
    private final int topK;
    private final double topP;
    private final long seed;
    private final boolean stopAtEos;

    private GenerationConfig(Builder b) {
        this.maxNewTokens = b.maxNewTokens;
        this.doSample = b.doSample;
        this.temperature = b.temperature;
        this.topK = b.topK;
        this.topP = b.topP;
        this.seed = b.seed;
        this.stopAtEos = b.stopAtEos;
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens, stopping at EOS. */
    public static GenerationConfig greedy(int maxNewTokens) {
        return builder().maxNewTokens(maxNewTokens).build();
    }

    /** A builder; call {@code doSample(true)} (or set temperature, topK or topP) for sampling. */
    public static Builder builder() {
        return new Builder();
    }

    public int maxNewTokens() {
        return maxNewTokens;
    }

    public boolean doSample() {
        return doSample;
    }

    public double temperature() {
        return temperature;
    }

    /** Keep only the k most likely tokens; 0 keeps all. */
    public int topK() {
        return topK;
    }

    /** Keep the smallest set of tokens whose probability reaches p; 1 keeps all. */
    public double topP() {
        return topP;
    }

    public long seed() {
        return seed;
    }

    public boolean stopAtEos() {
        return stopAtEos;
    }

    /** Builds a {@link GenerationConfig}, checking each value. */
    public static final class Builder {
        private int maxNewTokens = 20;
        private boolean doSample;
        private double temperature = 1.0;
        private int topK;
        private double topP = 1.0;
        private long seed;
        private boolean stopAtEos = true;

        public Builder maxNewTokens(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxNewTokens must be at least 1, got " + n);
            }
            this.maxNewTokens = n;
            return this;
        }

        public Builder doSample(boolean on) {
            this.doSample = on;
            return this;
        }

        /** Sampling temperature (> 0); turns sampling on. */
        public Builder temperature(double t) {
            if (!(t > 0) || Double.isInfinite(t)) {
                throw new IllegalArgumentException("temperature must be a positive number, got " + t);
            }
            this.temperature = t;
            this.doSample = true;
            return this;
        }

        /** Top-k filtering (0 = off); turns sampling on. */
        public Builder topK(int k) {
            if (k < 0) {
                throw new IllegalArgumentException("topK must be >= 0, got " + k);
            }
            this.topK = k;
            this.doSample = true;
            return this;
        }

        /** Nucleus filtering, p in (0, 1]; turns sampling on. */
        public Builder topP(double p) {
            if (!(p > 0 && p <= 1)) {
                throw new IllegalArgumentException("topP must be in (0, 1], got " + p);
            }
            this.topP = p;
            this.doSample = true;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder stopAtEos(boolean on) {
            this.stopAtEos = on;
            return this;
        }

        public GenerationConfig build() {
            return new GenerationConfig(this);
        }
    }
}
