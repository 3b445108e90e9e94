package io.microw.demo;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/** How much of some texts is made of a given vocabulary: the measure the steering demonstrations use. */
public final class WordShare {

    private WordShare() {
    }

    /** Fraction of the words of {@code texts} (lower-cased, punctuation split off) that are in {@code vocabulary}. */
    public static double of(List<String> texts, Set<String> vocabulary) {
        long words = 0;
        long hits = 0;
        for (String t : texts) {
            for (String w : t.toLowerCase(Locale.ROOT).split("\\s+|(?=[,.;:!?])|(?<=[,.;:!?])")) {
                if (w.isBlank()) {
                    continue;
                }
                words++;
                if (vocabulary.contains(w.strip())) {
                    hits++;
                }
            }
        }
        return words == 0 ? 0 : (double) hits / words;
    }
}
