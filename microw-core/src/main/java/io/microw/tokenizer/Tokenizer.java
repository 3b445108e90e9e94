package io.microw.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.microw.MicrowException;
import io.microw.io.JsonMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A Hugging Face tokenizer ({@code tokenizer.json}, run by the Rust {@code tokenizers} library through DJL)
 * with the special tokens of {@code tokenizer_config.json}. It pads and truncates batches itself, on the
 * side asked for.
 */
public final class Tokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer hf;
    private final OptionalLong bosId;
    private final OptionalLong eosId;
    private final OptionalLong padId;
    private final OptionalLong unkId;
    private final boolean addSpecialTokens;
    /** Ids of special tokens (added tokens marked special, BOS, EOS, PAD, UNK), marked even when typed in a text. */
    private final Set<Long> specialIds;

    private Tokenizer(HuggingFaceTokenizer hf, JsonNode config, Set<Long> addedSpecialIds) {
        this.hf = hf;
        this.addSpecialTokens = config.path("add_special_tokens").asBoolean(true);
        this.bosId = idOf(config.get("bos_token"));
        this.eosId = idOf(config.get("eos_token"));
        this.unkId = idOf(config.get("unk_token"));
        this.padId = idOf(config.get("pad_token"));
        Set<Long> special = new HashSet<>(addedSpecialIds);
        bosId.ifPresent(special::add);
        eosId.ifPresent(special::add);
        unkId.ifPresent(special::add);
        padId.ifPresent(special::add);
        this.specialIds = Set.copyOf(special);
    }

    /**
     * Whether {@code dir} holds a {@code tokenizer.json}.
     *
     * @param dir the model folder
     * @return true when {@code dir/tokenizer.json} is a regular file
     */
    public static boolean existsIn(Path dir) {
        return Files.isRegularFile(dir.resolve("tokenizer.json"));
    }

    /**
     * Loads {@code dir/tokenizer.json} and, when present, {@code dir/tokenizer_config.json}.
     *
     * @param dir the model folder
     * @return the tokenizer; close it to free the native one
     * @throws MicrowException when there is no tokenizer.json or it cannot be read
     */
    public static Tokenizer load(Path dir) {
        Path file = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new MicrowException("no tokenizer.json in " + dir);
        }
        JsonNode config = JsonMapper.mapper().createObjectNode();
        Path configFile = dir.resolve("tokenizer_config.json");
        try {
            if (Files.isRegularFile(configFile)) {
                config = JsonMapper.mapper().readTree(configFile.toFile());
            }
            HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(file,
                    Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"));
            return new Tokenizer(hf, config, addedSpecialIds(file));
        } catch (IOException | RuntimeException e) {
            throw new MicrowException("cannot read tokenizer " + file + ": " + e.getMessage(), e);
        }
    }

    /** Ids of the {@code added_tokens} marked {@code special} in tokenizer.json, read without parsing the vocabulary. */
    private static Set<Long> addedSpecialIds(Path tokenizerJson) throws IOException {
        Set<Long> ids = new HashSet<>();
        ObjectMapper mapper = JsonMapper.mapper();
        try (JsonParser p = mapper.getFactory().createParser(tokenizerJson.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return ids;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if ("added_tokens".equals(field) && value == JsonToken.START_ARRAY) {
                    for (JsonNode token : (JsonNode) mapper.readTree(p)) {
                        if (token.path("special").asBoolean(false) && token.path("id").canConvertToLong()) {
                            ids.add(token.get("id").longValue());
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
        return ids;
    }

    private OptionalLong idOf(JsonNode token) {
        if (token == null || token.isNull()) {
            return OptionalLong.empty();
        }
        String content = token.isTextual() ? token.asText() : token.path("content").asText(null);
        if (content == null) {
            return OptionalLong.empty();
        }
        long[] ids = hf.encode(content, false, false).getIds();
        return ids.length == 1 ? OptionalLong.of(ids[0]) : OptionalLong.empty();
    }

    /**
     * The beginning-of-sequence token, from {@code bos_token} in tokenizer_config.json.
     *
     * @return its id, or empty when not configured or not a single token
     */
    public OptionalLong bosTokenId() {
        return bosId;
    }

    /**
     * The end-of-sequence token, from {@code eos_token} in tokenizer_config.json.
     *
     * @return its id, or empty when not configured or not a single token
     */
    public OptionalLong eosTokenId() {
        return eosId;
    }

    /**
     * The unknown token, from {@code unk_token} in tokenizer_config.json.
     *
     * @return its id, or empty when not configured or not a single token
     */
    public OptionalLong unkTokenId() {
        return unkId;
    }

    /**
     * The pad token, falling back to EOS and then 0, as GPT-2 style tokenizers need.
     *
     * @return the id used to pad batches
     */
    public long padTokenIdOrDefault() {
        return padId.orElse(eosId.orElse(0));
    }

    /**
     * The padding token, from {@code pad_token} in tokenizer_config.json, without fallback.
     *
     * @return its id, or empty when not configured or not a single token
     */
    public OptionalLong padTokenId() {
        return padId;
    }

    /**
     * Token ids of one text, with the special tokens the tokenizer adds (none for GPT-2).
     *
     * @param text the text to tokenize
     * @return its token ids, neither truncated nor padded
     */
    public long[] encode(String text) {
        return hf.encode(text, addSpecialTokens, false).getIds();
    }

    /**
     * Text of the given ids.
     *
     * @param ids               token ids
     * @param skipSpecialTokens whether special tokens are left out of the text
     * @return the decoded text
     */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        return hf.decode(ids, skipSpecialTokens);
    }

    /**
     * The text of one token, as a dashboard shows it.
     *
     * @param id a token id
     * @return the decoded token, special tokens included
     */
    public String tokenText(long id) {
        return hf.decode(new long[] {id}, false);
    }

    /**
     * Whether {@link #encode} puts the BOS token first (Llama's tokenizers do, GPT-2's does not).
     *
     * @return true when the tokenizer adds a BOS token to every text
     */
    public boolean addsBos() {
        if (bosId.isEmpty()) {
            return false;
        }
        Encoding e = hf.encode("a", addSpecialTokens, false);
        return e.getIds().length > 0 && e.getIds()[0] == bosId.getAsLong() && e.getSpecialTokenMask()[0] == 1;
    }

    /**
     * Tokenizes and pads a batch, with the special tokens the tokenizer adds itself.
     *
     * @param texts      the texts, none null or without tokens
     * @param maxLength  longest row; longer texts are truncated when {@code truncation}, an error otherwise
     * @param truncation whether texts longer than {@code maxLength} are cut instead of rejected
     * @param side       where padding goes
     * @return the padded batch, as long as its longest row; padding uses {@link #padTokenIdOrDefault()}
     */
    public Encodings encodeBatch(List<String> texts, int maxLength, boolean truncation, PaddingSide side) {
        return encodePadded(texts, maxLength, truncation, side, null);
    }

    /**
     * Tokenizes and pads a batch with or without a BOS token first in every row, as TransformerLens'
     * {@code to_tokens(prepend_bos=...)} does: with {@code prependBos} each row starts with exactly one BOS token
     * (the tokenizer's own when it adds one, else the BOS id put in front of the text's tokens); without, the BOS
     * token the tokenizer adds is left out (a BOS typed in the text stays). The BOS token is marked special and
     * counts towards {@code maxLength}; the text's own tokens are unchanged.
     *
     * @param texts      the texts, none null or without tokens
     * @param maxLength  longest row, BOS included; longer rows are truncated when {@code truncation}, an error
     *                   otherwise
     * @param truncation whether rows longer than {@code maxLength} are cut instead of rejected
     * @param side       where padding goes
     * @param prependBos whether every row starts with the BOS token
     * @return the padded batch, as long as its longest row; padding uses {@link #padTokenIdOrDefault()}
     * @throws IllegalArgumentException when {@code prependBos} is asked of a tokenizer without a BOS token
     */
    public Encodings encodeBatch(List<String> texts, int maxLength, boolean truncation, PaddingSide side,
                                 boolean prependBos) {
        if (prependBos && bosId.isEmpty()) {
            throw new IllegalArgumentException("prepend_bos=true needs a BOS token, but this tokenizer has none (no"
                    + " single-token bos_token in tokenizer_config.json); ask for prepend_bos=false or leave it unset");
        }
        return encodePadded(texts, maxLength, truncation, side, prependBos);
    }

    /** Tokenizes and pads; {@code prependBos} null keeps the tokenizer's own special tokens. */
    private Encodings encodePadded(List<String> texts, int maxLength, boolean truncation, PaddingSide side,
                                   Boolean prependBos) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts to tokenize: the list is empty");
        }
        int n = texts.size();
        long[][] rowIds = new long[n][];
        long[][] rowSpecial = new long[n][];
        String[][] rowTokens = new String[n][];
        int longest = 0;
        for (int i = 0; i < n; i++) {
            String text = texts.get(i);
            if (text == null) {
                throw new IllegalArgumentException("text " + i + " is null");
            }
            Encoding e = hf.encode(text, addSpecialTokens, false);
            long[] ids = e.getIds();
            long[] special = e.getSpecialTokenMask();
            String[] tokens = e.getTokens();
            boolean hasBos = ids.length > 0 && special[0] == 1 && bosId.isPresent() && ids[0] == bosId.getAsLong();
            int skip = Boolean.FALSE.equals(prependBos) && hasBos ? 1 : 0;
            int front = Boolean.TRUE.equals(prependBos) && !hasBos ? 1 : 0;
            if (ids.length - skip == 0) {
                throw new IllegalArgumentException("text " + i + " (\"" + text + "\") has no tokens");
            }
            int len = ids.length - skip + front;
            if (len > maxLength) {
                if (!truncation) {
                    throw new IllegalArgumentException("text " + i + " has " + len + " tokens"
                            + (front == 1 ? " with the BOS token" : "") + ", more than the maximum " + maxLength
                            + "; enable truncation or shorten it");
                }
                len = maxLength;
            }
            rowIds[i] = new long[len];
            rowSpecial[i] = new long[len];
            rowTokens[i] = new String[len];
            if (front == 1) {
                rowIds[i][0] = bosId.getAsLong();
                rowSpecial[i][0] = 1;
                rowTokens[i][0] = tokenText(bosId.getAsLong());
            }
            int copied = len - front;
            System.arraycopy(ids, skip, rowIds[i], front, copied);
            System.arraycopy(special, skip, rowSpecial[i], front, copied);
            System.arraycopy(tokens, skip, rowTokens[i], front, copied);
            for (int j = 0; j < len; j++) {
                if (specialIds.contains(rowIds[i][j])) {
                    rowSpecial[i][j] = 1; // a special token typed in the text: the tokenizers library leaves it 0
                }
            }
            longest = Math.max(longest, len);
        }
        long pad = padTokenIdOrDefault();
        String padText = tokenText(pad);
        long[][] ids = new long[n][longest];
        long[][] mask = new long[n][longest];
        long[][] special = new long[n][longest];
        String[][] tokens = new String[n][longest];
        for (int i = 0; i < n; i++) {
            int len = rowIds[i].length;
            int offset = side == PaddingSide.LEFT ? longest - len : 0;
            Arrays.fill(ids[i], pad);
            Arrays.fill(special[i], 1);
            Arrays.fill(tokens[i], padText);
            System.arraycopy(rowIds[i], 0, ids[i], offset, len);
            System.arraycopy(rowSpecial[i], 0, special[i], offset, len);
            System.arraycopy(rowTokens[i], 0, tokens[i], offset, len);
            Arrays.fill(mask[i], offset, offset + len, 1);
        }
        return new Encodings(texts, ids, mask, special, tokens, side);
    }

    @Override
    public void close() {
        hf.close();
    }
}
