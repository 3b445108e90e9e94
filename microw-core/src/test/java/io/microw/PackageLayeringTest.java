package io.microw;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The layering of DESIGN.md, checked on the sources: the SAE is pure math, so {@code io.microw.sae} (but not
 * {@code io.microw.sae.train}, which may read a model) refers to none of {@code lm}, {@code concepts} or
 * {@code hooks}; and {@code io.microw.lm} refers to none of {@code sae}, {@code concepts} or {@code analysis}. A
 * reference is an import or a fully qualified name in code; comments do not count.
 */
class PackageLayeringTest {

    private static final Path SRC = Path.of("src/main/java/io/microw");

    @Test
    void saeIsPureMath() {
        assertThat(violations("sae", "concepts", "lm", "hooks")).as("references from io.microw.sae").isEmpty();
    }

    @Test
    void lmKnowsNoSaeConceptsOrAnalysis() {
        assertThat(violations("lm", "sae", "concepts", "analysis")).as("references from io.microw.lm").isEmpty();
    }

    @Test
    void theScanSeesImportsAndQualifiedNamesButNotComments() {
        Pattern forbidden = forbidden(List.of("lm", "hooks"));
        String source = """
                package io.microw.sae;
                import io.microw.lm.LanguageModel;
                /** See {@link io.microw.hooks.Hook}. */
                class X { // io.microw.hooks.Detector
                    Object o = new io.microw.hooks.FunctionController("l", x -> x);
                    io.microw.lmx.Other notForbidden;
                }
                """;
        assertThat(references(source, forbidden)).containsExactly("io.microw.lm", "io.microw.hooks");
    }

    /** {@code file: reference} for each forbidden reference in the package's own files (not its subpackages). */
    private static List<String> violations(String pkg, String... forbiddenPackages) {
        Pattern forbidden = forbidden(List.of(forbiddenPackages));
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(SRC.resolve(pkg))) {
            List<Path> sources = files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
            assertThat(sources).as("sources of io.microw." + pkg).isNotEmpty();
            for (Path f : sources) {
                for (String ref : references(Files.readString(f), forbidden)) {
                    found.add(f.getFileName() + ": " + ref);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    private static Pattern forbidden(List<String> packages) {
        return Pattern.compile("\\bio\\.microw\\.(?:" + String.join("|", packages) + ")\\b");
    }

    /** The forbidden package names referred to in code, in order, with comments removed first. */
    private static List<String> references(String source, Pattern forbidden) {
        String code = source.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("//[^\\n]*", " ");
        List<String> refs = new ArrayList<>();
        Matcher m = forbidden.matcher(code);
        while (m.find()) {
            refs.add(m.group());
        }
        return refs;
    }
}
