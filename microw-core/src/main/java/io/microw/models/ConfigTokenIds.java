package io.microw.models;

import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/**
 * A {@link ModelConfig} whose special token ids are the standard {@code bos_token_id}, {@code eos_token_id}
 * (an id or a list) and {@code pad_token_id} keys of its config.json.
 */
interface ConfigTokenIds extends ModelConfig {

    @Override
    default OptionalLong bosTokenId() {
        return id("bos_token_id");
    }

    @Override
    default List<Long> eosTokenIds() {
        return raw().intList("eos_token_id").stream().map(Integer::longValue).collect(Collectors.toList());
    }

    @Override
    default OptionalLong padTokenId() {
        return id("pad_token_id");
    }

    private OptionalLong id(String key) {
        OptionalInt id = raw().optionalInt(key);
        return id.isPresent() ? OptionalLong.of(id.getAsInt()) : OptionalLong.empty();
    }
}
