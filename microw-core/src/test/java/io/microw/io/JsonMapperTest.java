package io.microw.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import java.nio.file.StandardCopyOption;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link JsonMapper}: the shared mapper writes compact JSON, {@link JsonMapper#pretty()} indents, and
 * {@link JsonMapper#strict()} refuses duplicate keys and trailing content; no other class of microw-core makes an
 * {@link ObjectMapper} or renames with {@code ATOMIC_MOVE} (that is {@link AtomicFiles}' job).
 */
class JsonMapperTest {

    private static final JavaClasses CORE = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.microw");

    @Test
    void theMapperIsCompactAndPrettyIndents() throws JsonProcessingException {
        ObjectNode node = JsonMapper.mapper().createObjectNode().put("a", 1);
        assertThat(JsonMapper.mapper().writeValueAsString(node)).isEqualTo("{\"a\":1}");
        assertThat(JsonMapper.pretty().writeValueAsString(node)).isEqualTo("{\n  \"a\" : 1\n}");
    }

    @Test
    void strictRefusesDuplicateKeysAndTrailingContentThatTheMapperAccepts() throws JsonProcessingException {
        assertThat(JsonMapper.mapper().readTree("{\"a\":1,\"a\":2}").get("a").asInt()).isEqualTo(2);
        assertThatThrownBy(() -> JsonMapper.strict().readTree("{\"a\":1,\"a\":2}"))
                .hasMessageContaining("Duplicate field 'a'");
        assertThatThrownBy(() -> JsonMapper.strict().readTree("{\"a\":1} {}"))
                .hasMessageContaining("Trailing token");
        assertThat(JsonMapper.strict().readTree("{\"a\":1}").get("a").asInt()).isEqualTo(1);
    }

    @Test
    void onlyJsonMapperMakesAnObjectMapper() {
        noClasses().that().doNotBelongToAnyOf(JsonMapper.class)
                .should().callConstructor(ObjectMapper.class)
                .because("every module shares JsonMapper.mapper() and derives readers and writers from it")
                .check(CORE);
    }

    @Test
    void onlyAtomicFilesRenamesAtomically() {
        noClasses().that().doNotBelongToAnyOf(AtomicFiles.class)
                .should().accessField(StandardCopyOption.class, "ATOMIC_MOVE")
                .because("atomic writes go through AtomicFiles")
                .check(CORE);
    }
}
