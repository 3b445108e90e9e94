package io.microw.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Name lengths are counted in bytes of UTF-8, as file systems count them, with room left for suffixes. */
class StoreNamesTest {

    @TempDir
    Path dir;

    @Test
    void aNameOfFewCharactersButTooManyBytesIsRefusedWithItsByteCount() {
        String threeByteChars = "€".repeat(100); // 100 characters, 300 bytes
        assertThatThrownBy(() -> StoreNames.check("run id", threeByteChars))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("run id is 300 bytes long in UTF-8 (100 characters)")
                .hasMessageContaining("at most 200 bytes");
        assertThatThrownBy(() -> StoreNames.check("run id", "€".repeat(67))).hasMessageContaining("201 bytes");
        assertThat(StoreNames.check("run id", "€".repeat(66))).hasSize(66);
    }

    @Test
    void theLongestAllowedNameStillFitsAFileNameWithTheSuffixesAdded() throws Exception {
        String longest = "a".repeat(200);
        assertThat(StoreNames.check("tensor key", longest)).isEqualTo(longest);
        assertThatThrownBy(() -> StoreNames.check("tensor key", longest + "a")).hasMessageContaining("201 bytes");
        Files.createTempFile(dir, "." + longest, ".tmp"); // a temporary file of the manipulation store
        assertThat(Files.createFile(dir.resolve(longest + ".safetensors"))).exists();
    }
}
