package io.microw.lm;

import java.util.List;

/**
 * How {@code generate} decodes: greedy, or sampled with temperature, top-k and top-p from a seed; a repetition
 * penalty; how many tokens at most; whether to stop at the end-of-sequence token or at stop strings.
 */
public final class GenerationConfig {

    private final int maxNewTokens;
    private final boolean doSample;
    private final double temperature;
    private final int topK;
    private final double topP;
    private final long seed;
    private final boolean stopAtEos;
    private final double repetitionPenalty;
    private final List<String> stopStrings;

    private GenerationConfig(Builder b) {
        this.maxNewTokens = b.maxNewTokens;
        this.doSample = b.doSample;
        this.temperature = b.temperature;
        this.topK = b.topK;
        this.topP = b.topP;
        this.seed = b.seed;
        this.stopAtEos = b.stopAtEos;
        this.repetitionPenalty = b.repetitionPenalty;
        this.stopStrings = List.copyOf(b.stopStrings);
    }

    /**
     * Greedy decoding of up to {@code maxNewTokens} tokens, stopping at EOS.
     *
     * @param maxNewTokens the most tokens generated per prompt, at least 1
     * @return the config
     */
    public static GenerationConfig greedy(int maxNewTokens) {
        return builder().maxNewTokens(maxNewTokens).build();
    }

    /**
     * A builder; call {@code doSample(true)} (or set temperature, topK or topP) for sampling.
     *
     * @return a builder with the defaults: 20 new tokens, greedy, stop at EOS
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The most tokens generated per prompt.
     *
     * @return the limit
     */
    public int maxNewTokens() {
        return maxNewTokens;
    }

    /**
     * Whether tokens are sampled (true) or chosen greedily (false).
     *
     * @return true for sampling
     */
    public boolean doSample() {
        return doSample;
    }

    /**
     * The sampling temperature; logits are divided by it.
     *
     * @return the temperature, 1 by default
     */
    public double temperature() {
        return temperature;
    }

    /**
     * Keep only the k most likely tokens; 0 keeps all.
     *
     * @return k
     */
    public int topK() {
        return topK;
    }

    /**
     * Keep the smallest set of tokens whose probability reaches p; 1 keeps all.
     *
     * @return p
     */
    public double topP() {
        return topP;
    }

    /**
     * The seed of the sampling.
     *
     * @return the seed
     */
    public long seed() {
        return seed;
    }

    /**
     * Whether a row stops once it generates an end-of-sequence token.
     *
     * @return true to stop at EOS
     */
    public boolean stopAtEos() {
        return stopAtEos;
    }

    /**
     * The repetition penalty (Hugging Face's {@code repetition_penalty}): before each choice, the logit of every token
     * already in the row (prompt or generated) is divided by it when positive and multiplied by it when negative.
     *
     * @return the penalty, 1 (none) by default
     */
    public double repetitionPenalty() {
        return repetitionPenalty;
    }

    /**
     * Strings that end a row once its generated text contains one (the tokens up to the one completing it are
     * kept, as Hugging Face's {@code stop_strings} does). Needs a tokenizer.
     *
     * @return the stop strings, none by default
     */
    public List<String> stopStrings() {
        return stopStrings;
    }

    /**
     * Two configs are equal when every setting is: they decode the same prompt the same way.
     *
     * @param o another object
     * @return whether {@code o} is a config with the same settings
     */
    @Override
    public boolean equals(Object o) {
        return o instanceof GenerationConfig c && maxNewTokens == c.maxNewTokens && doSample == c.doSample
                && Double.compare(temperature, c.temperature) == 0 && topK == c.topK
                && Double.compare(topP, c.topP) == 0 && seed == c.seed && stopAtEos == c.stopAtEos
                && Double.compare(repetitionPenalty, c.repetitionPenalty) == 0 && stopStrings.equals(c.stopStrings);
    }

    /**
     * A hash of every setting.
     *
     * @return the hash
     */
    @Override
    public int hashCode() {
        return java.util.Objects.hash(maxNewTokens, doSample, temperature, topK, topP, seed, stopAtEos,
                repetitionPenalty, stopStrings);
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
        private double repetitionPenalty = 1.0;
        private List<String> stopStrings = List.of();

        /**
         * The most tokens generated per prompt (default 20).
         *
         * @param n the limit, at least 1
         * @return this builder
         */
        public Builder maxNewTokens(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxNewTokens must be at least 1, got " + n);
            }
            this.maxNewTokens = n;
            return this;
        }

        /**
         * Sampling on or off (default off: greedy).
         *
         * @param on whether to sample
         * @return this builder
         */
        public Builder doSample(boolean on) {
            this.doSample = on;
            return this;
        }

        /**
         * Sampling temperature (> 0); turns sampling on.
         *
         * @param t the temperature
         * @return this builder
         */
        public Builder temperature(double t) {
            if (!(t > 0) || Double.isInfinite(t)) {
                throw new IllegalArgumentException("temperature must be a positive number, got " + t);
            }
            this.temperature = t;
            this.doSample = true;
            return this;
        }

        /**
         * Top-k filtering (0 = off); turns sampling on.
         *
         * @param k the number of tokens kept, 0 for all
         * @return this builder
         */
        public Builder topK(int k) {
            if (k < 0) {
                throw new IllegalArgumentException("topK must be >= 0, got " + k);
            }
            this.topK = k;
            this.doSample = true;
            return this;
        }

        /**
         * Nucleus filtering, p in (0, 1]; turns sampling on.
         *
         * @param p the probability mass kept
         * @return this builder
         */
        public Builder topP(double p) {
            if (!(p > 0 && p <= 1)) {
                throw new IllegalArgumentException("topP must be in (0, 1], got " + p);
            }
            this.topP = p;
            this.doSample = true;
            return this;
        }

        /**
         * The seed of the sampling (default 0).
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Whether a row stops at the end-of-sequence token (default true).
         *
         * @param on whether to stop at EOS
         * @return this builder
         */
        public Builder stopAtEos(boolean on) {
            this.stopAtEos = on;
            return this;
        }

        /**
         * The repetition penalty (default 1: none); values above 1 make repeats less likely.
         *
         * @param penalty a finite number above 0
         * @return this builder
         */
        public Builder repetitionPenalty(double penalty) {
            if (!(penalty > 0) || !Double.isFinite(penalty)) {
                throw new IllegalArgumentException("repetitionPenalty must be a finite number above 0, got " + penalty);
            }
            this.repetitionPenalty = penalty;
            return this;
        }

        /**
         * Strings that end a row once its generated text contains one (default none).
         *
         * @param strings non-empty strings
         * @return this builder
         */
        public Builder stopStrings(List<String> strings) {
            for (String s : strings) {
                if (s == null || s.isEmpty()) {
                    throw new IllegalArgumentException("stop strings must be non-empty, got " + strings);
                }
            }
            this.stopStrings = List.copyOf(strings);
            return this;
        }

        /**
         * The config with the values set.
         *
         * @return the config
         */
        public GenerationConfig build() {
            return new GenerationConfig(this);
        }
    }
}
