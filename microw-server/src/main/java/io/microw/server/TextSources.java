package io.microw.server;

import io.microw.demo.BrownCorpus;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Texts a request names by source rather than sending them: Brown corpus sentences of one split. */
final class TextSources {

    private TextSources() {
    }

    /** The checked Brown split name ("train" or "validation"); 400 naming the field otherwise. */
    static String brownSplit(String given) {
        if (!"train".equals(given) && !"validation".equals(given)) {
            throw ApiException.badRequest("'brown' must be \"train\" or \"validation\", got '" + given + "'");
        }
        return given;
    }

    /** The first {@code limit} sentences of a Brown split (a name {@link #brownSplit} accepts). */
    static List<String> brown(String split, int limit) {
        BrownCorpus.Split s = BrownCorpus.Split.valueOf(split.toUpperCase(Locale.ROOT));
        List<String> texts = new ArrayList<>();
        for (BrownCorpus.Sentence sentence : BrownCorpus.load().sentences(s)) {
            if (texts.size() >= limit) {
                break;
            }
            texts.add(sentence.text());
        }
        return texts;
    }
}
