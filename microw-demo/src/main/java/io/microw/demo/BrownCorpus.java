package io.microw.demo;

import io.microw.data.ClassificationDataset;
import io.microw.data.Datasets;
import io.microw.data.Row;
import io.microw.data.TextDataset;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The Brown corpus (1961, 500 documents in 15 genres, 57,340 sentences, 1,161,192 words with part-of-speech tags),
 * shipped in this jar: the corpus the demo model was trained on, and ground truth (tags, genres) for checking what
 * SAE latents mean. Offers documents, sentences, tagged words, genres, the demo model's train/validation split, and
 * datasets of documents or sentences (texts) and of documents by genre (classification).
 */
public final class BrownCorpus {

    /** The demo model's split: documents whose index in file-name order is divisible by 10 are validation. */
    public enum Split {
        /** The 450 documents the demo model was trained on. */
        TRAIN,
        /** The 50 held-out documents (index divisible by 10). */
        VALIDATION;

        /** The split of the document at {@code index} (file-name order). */
        public static Split ofIndex(int index) {
            return index % 10 == 0 ? VALIDATION : TRAIN;
        }
    }

    /** A word and its Brown part-of-speech tag (e.g. {@code at} article, {@code nn} noun, {@code vbd} past verb). */
    public record Word(String word, String tag) {
    }

    /** A sentence: its tokens, their tags (same length), and the sentence as ordinary prose. */
    public record Sentence(List<String> words, List<String> tags, String text) {

        /** The tokens paired with their tags. */
        public List<Word> taggedWords() {
            return IntStream.range(0, words.size()).mapToObj(i -> new Word(words.get(i), tags.get(i))).toList();
        }
    }

    /** A document: its index in file-name order, id (e.g. {@code ca01}), genre and sentences. */
    public record Document(int index, String id, String genre, List<Sentence> sentences) {

        /** The document as prose: its sentences' texts joined by spaces. */
        public String text() {
            return String.join(" ", sentences.stream().map(Sentence::text).toList());
        }

        /** Whether the demo model trained on this document or held it out. */
        public Split split() {
            return Split.ofIndex(index);
        }
    }

    private static volatile BrownCorpus instance;

    private final List<Document> documents;
    private final List<String> genres;

    BrownCorpus(List<Document> documents) {
        this.documents = List.copyOf(documents);
        LinkedHashSet<String> seen = new LinkedHashSet<>();
        documents.forEach(d -> seen.add(d.genre()));
        this.genres = List.copyOf(seen);
    }

    /** The corpus shipped in this jar, read once (about a second) and then shared. */
    public static BrownCorpus load() {
        BrownCorpus corpus = instance;
        if (corpus == null) {
            synchronized (BrownCorpus.class) {
                if (instance == null) {
                    instance = new BrownCorpus(BrownCorpusReader.readResource());
                }
                corpus = instance;
            }
        }
        return corpus;
    }

    /** All 500 documents, in file-name order. */
    public List<Document> documents() {
        return documents;
    }

    /** The documents of one split, in file-name order. */
    public List<Document> documents(Split split) {
        return documents.stream().filter(d -> d.split() == split).toList();
    }

    /** All sentences, document by document. */
    public List<Sentence> sentences() {
        return sentencesOf(documents);
    }

    /** The sentences of one split's documents. */
    public List<Sentence> sentences(Split split) {
        return sentencesOf(documents(split));
    }

    private static List<Sentence> sentencesOf(List<Document> docs) {
        List<Sentence> all = new ArrayList<>();
        docs.forEach(d -> all.addAll(d.sentences()));
        return all;
    }

    /** Every tagged word, in corpus order (a stream: there are over a million). */
    public Stream<Word> words() {
        return documents.stream().flatMap(d -> d.sentences().stream()).flatMap(s -> s.taggedWords().stream());
    }

    /** The words (lower case) whose commonest tag in the corpus is {@code tag}, e.g. the number words for "cd". */
    public java.util.Set<String> wordsMostlyTagged(String tag) {
        java.util.Map<String, java.util.Map<String, Long>> counts = new java.util.HashMap<>();
        words().forEach(w -> counts.computeIfAbsent(w.word().toLowerCase(java.util.Locale.ROOT),
                k -> new java.util.HashMap<>()).merge(w.tag(), 1L, Long::sum));
        return counts.entrySet().stream()
                .filter(e -> java.util.Collections.max(e.getValue().entrySet(), java.util.Map.Entry.comparingByValue())
                        .getKey().equals(tag))
                .map(java.util.Map.Entry::getKey).collect(java.util.stream.Collectors.toSet());
    }

    /** The 15 genres, in order of first appearance (press_reportage first). */
    public List<String> genres() {
        return genres;
    }

    /** The documents' texts as a dataset (all 500). */
    public TextDataset documentDataset() {
        return Datasets.fromTexts("Brown corpus documents", documents.stream().map(Document::text).toList());
    }

    /** The texts of one split's documents as a dataset. */
    public TextDataset documentDataset(Split split) {
        return Datasets.fromTexts("Brown corpus " + name(split) + " documents",
                documents(split).stream().map(Document::text).toList());
    }

    /** Every sentence's text as a dataset. */
    public TextDataset sentenceDataset() {
        return Datasets.fromTexts("Brown corpus sentences", sentences().stream().map(Sentence::text).toList());
    }

    /** The sentences of one split's documents as a dataset. */
    public TextDataset sentenceDataset(Split split) {
        return Datasets.fromTexts("Brown corpus " + name(split) + " sentences",
                sentences(split).stream().map(Sentence::text).toList());
    }

    /** The documents labeled by genre (label set: {@link #genres()}). */
    public ClassificationDataset genreDataset() {
        return genreDataset("Brown corpus documents by genre", documents);
    }

    /** One split's documents labeled by genre (label set: all 15 {@link #genres()}). */
    public ClassificationDataset genreDataset(Split split) {
        return genreDataset("Brown corpus " + name(split) + " documents by genre", documents(split));
    }

    private ClassificationDataset genreDataset(String description, List<Document> docs) {
        List<Row> rows = docs.stream().map(d -> new Row(d.text(), d.genre(), d.id())).toList();
        return Datasets.fromRows(description, rows, genres);
    }

    private static String name(Split split) {
        return split.name().toLowerCase(java.util.Locale.ROOT);
    }
}
