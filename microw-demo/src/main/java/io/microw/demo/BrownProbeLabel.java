package io.microw.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a probe on the Brown corpus predicts, parsed from a spec such as {@code pos:nn}, {@code pos:nn,vb} or
 * {@code genre}:
 * <ul>
 *   <li>{@code pos:TAG}: per word, tagged {@code TAG} (class 1) or anything else (class 0);</li>
 *   <li>{@code pos:TAG,TAG,...}: per word tagged one of these (class = its tag's place in the list), other words
 *       left out;</li>
 *   <li>{@code genre}: per sentence, its document's genre (the corpus' 15, in {@link BrownCorpus#genres()} order).</li>
 * </ul>
 * Tags are Brown's, exact and lower case ({@code nn} is a singular common noun, {@code nns} its plural,
 * {@code nn-tl} one in a title).
 *
 * @param spec    the spec as given
 * @param genre   whether it is {@code genre} (else a part-of-speech label)
 * @param tags    the part-of-speech tags, empty for {@code genre}
 * @param classes the class names, class 0 first
 */
public record BrownProbeLabel(String spec, boolean genre, List<String> tags, List<String> classes) {

    private static volatile Set<String> knownTags;

    /**
     * Checks the parts agree: {@code genre} has no tags, a part-of-speech label has tags, and there are at least two
     * classes.
     *
     * @param spec    the spec as given
     * @param genre   whether it is {@code genre}
     * @param tags    the part-of-speech tags
     * @param classes the class names
     */
    public BrownProbeLabel {
        tags = List.copyOf(tags);
        classes = List.copyOf(classes);
        if (genre != tags.isEmpty() || classes.size() < 2) {
            throw new IllegalArgumentException("inconsistent label '" + spec + "': genre " + genre + ", tags " + tags
                    + ", classes " + classes + "; make labels with BrownProbeLabel.parse");
        }
    }

    /**
     * Parses a spec, checking each tag against the corpus.
     *
     * @param spec {@code pos:TAG}, {@code pos:TAG,TAG,...} or {@code genre}
     * @return the label
     * @throws IllegalArgumentException for another form, a repeated tag or a tag the corpus does not use
     */
    public static BrownProbeLabel parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("no label given; expected pos:TAG (e.g. pos:nn), pos:TAG,TAG (e.g. "
                    + "pos:nn,vb) or genre");
        }
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("genre")) {
            return new BrownProbeLabel(spec, true, List.of(), BrownCorpus.load().genres());
        }
        if (!s.startsWith("pos:") || s.length() == 4) {
            throw new IllegalArgumentException("label '" + spec + "' is not pos:TAG (e.g. pos:nn), pos:TAG,TAG (e.g. "
                    + "pos:nn,vb) or genre");
        }
        List<String> tags = new ArrayList<>();
        for (String tag : s.substring(4).split(",", -1)) {
            String t = tag.trim();
            if (!corpusTags().contains(t)) {
                throw new IllegalArgumentException("'" + t + "' in label '" + spec + "' is not a Brown tag; common "
                        + "tags: nn (noun), nns (plural noun), vb (verb), vbd (past verb), jj (adjective), at "
                        + "(article), in (preposition), rb (adverb); the corpus has " + corpusTags().size() + " tags");
            }
            if (tags.contains(t)) {
                throw new IllegalArgumentException("tag '" + t + "' appears twice in label '" + spec + "'");
            }
            tags.add(t);
        }
        List<String> classes = tags.size() == 1 ? List.of("not " + tags.get(0), tags.get(0)) : tags;
        return new BrownProbeLabel(spec, false, tags, classes);
    }

    /**
     * A word's class, or -1 when this label leaves the word out (or is {@code genre}).
     *
     * @param tag the word's Brown tag
     * @return the class, or -1
     */
    public int classOf(String tag) {
        if (genre) {
            return -1;
        }
        int i = tags.indexOf(tag);
        return tags.size() == 1 ? (i == 0 ? 1 : 0) : i;
    }

    /** Every tag the corpus uses, counted once (read on first use). */
    private static Set<String> corpusTags() {
        Set<String> t = knownTags;
        if (t == null) {
            t = BrownCorpus.load().words().map(BrownCorpus.Word::tag).collect(Collectors.toUnmodifiableSet());
            knownTags = t;
        }
        return t;
    }
}
