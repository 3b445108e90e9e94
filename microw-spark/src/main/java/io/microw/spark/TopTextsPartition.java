package io.microw.spark;

import io.microw.sae.Sae;
import io.microw.tokenizer.Tokenizer;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * One task of {@link MicrowSpark#topTexts}: reads its partition's token rows (text_id, position, token_id, special,
 * vector in either layout) sorted by text and position, encodes the counted (non-special) tokens with the SAE a group
 * of texts at a time, and keeps each latent's bounded top and bottom lists of the texts' strongest tokens.
 */
final class TopTextsPartition implements FlatMapFunction<Iterator<Row>, TopTexts> {

    private static final int TOKENS_PER_ENCODE = 512;

    /** One text's rows. */
    private record Text(long id, List<Long> tokenIds, List<Boolean> special, List<float[]> vectors) {
    }

    private final SaeRef sae;
    private final ModelRef model;
    private final String column;
    private final ActivationLayout layout;
    private final int topK;
    private final int bottomK;
    private final int window;

    TopTextsPartition(SaeRef sae, ModelRef model, String column, ActivationLayout layout, int topK, int bottomK,
                      int window) {
        this.sae = sae;
        this.model = model;
        this.column = column;
        this.layout = layout;
        this.topK = topK;
        this.bottomK = bottomK;
        this.window = window;
    }

    @Override
    public Iterator<TopTexts> call(Iterator<Row> rows) {
        Sae encoder = ExecutorModels.sae(sae);
        TopTexts result = new TopTexts(encoder.config().dSae(), topK, bottomK);
        if (!rows.hasNext()) {
            return List.of(result).iterator();
        }
        Tokenizer tokenizer = ExecutorModels.get(model, 0).tokenizer();
        List<Text> group = new ArrayList<>();
        int tokens = 0;
        Text current = null;
        while (rows.hasNext()) {
            Row r = rows.next();
            long id = r.getLong(0);
            if (current == null || current.id() != id) {
                if (tokens >= TOKENS_PER_ENCODE) {
                    run(group, encoder, tokenizer, result);
                    group.clear();
                    tokens = 0;
                }
                current = new Text(id, new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
                group.add(current);
            }
            current.tokenIds().add(r.getLong(2));
            current.special().add(r.getBoolean(3));
            current.vectors().add(r.getBoolean(3) ? null : layout.decode(r, 4, encoder.config().dIn(), column));
            tokens++;
        }
        run(group, encoder, tokenizer, result);
        return List.of(result).iterator();
    }

    private void run(List<Text> texts, Sae encoder, Tokenizer tokenizer, TopTexts result) {
        List<float[]> counted = new ArrayList<>();
        texts.forEach(t -> t.vectors().stream().filter(v -> v != null).forEach(counted::add));
        if (counted.isEmpty()) {
            return;
        }
        float[] codes = SaeCodes.encode(encoder, counted, column);
        int latents = encoder.config().dSae();
        int row = 0;
        for (Text t : texts) {
            int n = t.tokenIds().size();
            int[] codeRow = new int[n];
            int first = -1;
            int last = -1;
            for (int s = 0; s < n; s++) {
                codeRow[s] = t.special().get(s) ? -1 : row++;
                if (codeRow[s] >= 0) {
                    first = first < 0 ? s : first;
                    last = s;
                }
            }
            if (first < 0) {
                continue;
            }
            Map<Integer, Integer> bestAt = new HashMap<>();
            for (int s = first; s <= last; s++) {
                if (codeRow[s] < 0) {
                    continue;
                }
                for (int l = 0; l < latents; l++) {
                    float v = codes[codeRow[s] * latents + l];
                    Integer at = bestAt.get(l);
                    if (v > 0 && (at == null || v > codes[codeRow[at] * latents + l])) {
                        bestAt.put(l, s);
                    }
                }
            }
            List<String> words = null;
            for (Map.Entry<Integer, Integer> e : bestAt.entrySet()) {
                int l = e.getKey();
                int s = e.getValue();
                float value = codes[codeRow[s] * latents + l];
                if (!result.wanted(l, value, t.id())) {
                    continue;
                }
                if (words == null) {
                    words = new ArrayList<>();
                    for (int p = first; p <= last; p++) {
                        words.add(tokenizer.tokenText(t.tokenIds().get(p)));
                    }
                }
                int position = s - first;
                int from = Math.max(0, position - window);
                int to = Math.min(words.size(), position + window + 1);
                List<Float> values = new ArrayList<>(to - from);
                for (int p = from; p < to; p++) {
                    int c = codeRow[first + p];
                    values.add(c >= 0 ? codes[c * latents + l] : 0f);
                }
                result.offer(l, new TopTexts.Context(t.id(), String.join("", words), position, words.get(position),
                        value, List.copyOf(words.subList(from, to)), from, List.copyOf(values)));
            }
        }
    }
}
