package io.microw.cli;

import io.microw.demo.BrownGpt2;
import io.microw.io.HfConfig;
import io.microw.lm.LanguageModel;

import java.util.Locale;
import java.util.function.Supplier;

/**
 * A forward benchmark workload: a model (brown-gpt2, or GPT-2 small's or TinyLlama's shape with random weights) and the batch
 * shape the PyTorch peer runs it at.
 */
enum ForwardWorkload {

    /** The demo model, 4 layers, d 256, vocab 4096: batch 32 x 128 as in the peer. */
    BROWN_GPT2("brown-gpt2", "brown-gpt2 (4L 256d vocab 4096)", 32, 128, BrownGpt2::load),

    /** GPT-2 small's shape (12 layers, d 768, 12 heads, vocab 50257) with random weights: batch 8 x 128. */
    GPT2_SMALL("gpt2-small", "gpt2-small shape (12L 768d vocab 50257, random)", 8, 128,
            () -> LanguageModel.randomInit(HfConfig.parse("{\"model_type\": \"gpt2\", \"n_layer\": 12, "
                    + "\"n_embd\": 768, \"n_head\": 12, \"vocab_size\": 50257, \"n_positions\": 1024}"), 0)),

    /**
     * TinyLlama's shape (22 layers, d 2048, 32 query / 4 key-value heads, d_ff 5632, vocab 32000, untied head) with
     * random weights: batch 1 x 128, as the peer's {@code llama} workload.
     */
    TINYLLAMA("llama", "TinyLlama shape (22L 2048d 32/4 heads ff 5632 vocab 32000, random)", 1, 128,
            () -> LanguageModel.randomInit(HfConfig.parse(LlamaShape.TINYLLAMA.configJson()), 0));

    final String id;
    final String label;
    final int batch;
    final int seq;
    private final Supplier<LanguageModel> loader;

    ForwardWorkload(String id, String label, int batch, int seq, Supplier<LanguageModel> loader) {
        this.id = id;
        this.label = label;
        this.batch = batch;
        this.seq = seq;
        this.loader = loader;
    }

    LanguageModel load() {
        return loader.get();
    }

    /** The workload with this id ({@code brown-gpt2}, {@code gpt2-small}, {@code llama}); an error lists the valid ones. */
    static ForwardWorkload byId(String id) {
        for (ForwardWorkload w : values()) {
            if (w.id.equals(id.toLowerCase(Locale.ROOT))) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown workload '" + id + "'; expected brown-gpt2, gpt2-small or llama");
    }
}
