package io.microw.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Word-level tokenizers written for tests, over {@link #WORDS} (ids {@code 10 + index}, inside the gpt2 fixture's
 * vocabulary of 1000): GPT-2 style (the BOS token {@code <|endoftext|>}, id {@link #GPT2_BOS}, is never added by the
 * tokenizer) and Llama style ({@code <s>}, id {@link #LLAMA_BOS}, put first in every text by a template, as Llama's
 * tokenizers do). {@link #gpt2ModelWith} adds one to a copy of the gpt2 fixture model.
 */
public final class WordTokenizers {

    /** The words the tokenizers know. */
    public static final List<String> WORDS = List.of("the", "cat", "sat", "on", "a", "mat", "dog", "ran");
    /** Id of {@code <|endoftext|>} in the GPT-2 style tokenizer (the last id, as in GPT-2). */
    public static final long GPT2_BOS = 999;
    /** Id of {@code <s>} in the Llama style tokenizer. */
    public static final long LLAMA_BOS = 1;

    private static final ObjectMapper JSON = new ObjectMapper();

    private WordTokenizers() {
    }

    /** The id of a word of {@link #WORDS}. */
    public static long id(String word) {
        int i = WORDS.indexOf(word);
        if (i < 0) {
            throw new IllegalArgumentException("'" + word + "' is not one of " + WORDS);
        }
        return 10 + i;
    }

    /** The ids of a text of words of {@link #WORDS} separated by spaces. */
    public static long[] ids(String text) {
        return java.util.Arrays.stream(text.split(" ")).mapToLong(WordTokenizers::id).toArray();
    }

    /** A copy of the gpt2 fixture model in {@code dir} with the GPT-2 style tokenizer. */
    public static Path gpt2ModelWith(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (Fixture fixture = Fixture.open("gpt2")) {
            for (String f : List.of("config.json", "model.safetensors")) {
                Files.copy(fixture.modelDir().resolve(f), dir.resolve(f));
            }
        }
        return gpt2Style(dir);
    }

    /** Writes the GPT-2 style tokenizer into {@code dir}: {@code <|endoftext|>} is BOS, EOS and UNK. */
    public static Path gpt2Style(Path dir) throws IOException {
        String eot = "<|endoftext|>";
        ObjectNode tok = tokenizer(eot, List.of(eot), List.of(GPT2_BOS));
        write(dir, tok, JSON.createObjectNode().put("bos_token", eot).put("eos_token", eot).put("unk_token", eot));
        return dir;
    }

    /** Writes the Llama style tokenizer into {@code dir}: {@code <unk>} 0, {@code <s>} 1 added first, {@code </s>} 2. */
    public static Path llamaStyle(Path dir) throws IOException {
        ObjectNode tok = tokenizer("<unk>", List.of("<unk>", "<s>", "</s>"), List.of(0L, LLAMA_BOS, 2L));
        ObjectNode post = tok.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = post.putObject("special_tokens").putObject("<s>");
        bos.put("id", "<s>");
        bos.putArray("ids").add(LLAMA_BOS);
        bos.putArray("tokens").add("<s>");
        write(dir, tok, JSON.createObjectNode().put("bos_token", "<s>").put("eos_token", "</s>")
                .put("unk_token", "<unk>"));
        return dir;
    }

    private static ObjectNode tokenizer(String unk, List<String> specials, List<Long> specialIds) {
        ObjectNode tok = JSON.createObjectNode();
        tok.put("version", "1.0");
        tok.putNull("truncation");
        tok.putNull("padding");
        ArrayNode added = tok.putArray("added_tokens");
        ObjectNode vocab = JSON.createObjectNode();
        for (int i = 0; i < specials.size(); i++) {
            added.addObject().put("id", specialIds.get(i)).put("content", specials.get(i)).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
            vocab.put(specials.get(i), specialIds.get(i));
        }
        WORDS.forEach(w -> vocab.put(w, id(w)));
        tok.putNull("normalizer");
        tok.putObject("pre_tokenizer").put("type", "Whitespace");
        tok.putNull("post_processor");
        tok.putNull("decoder");
        ObjectNode model = tok.putObject("model");
        model.put("type", "WordLevel");
        model.set("vocab", vocab);
        model.put("unk_token", unk);
        return tok;
    }

    private static void write(Path dir, ObjectNode tokenizer, ObjectNode config) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("tokenizer.json").toFile(), tokenizer);
        JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
    }
}
