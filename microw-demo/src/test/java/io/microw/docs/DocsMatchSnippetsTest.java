package io.microw.docs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Keeps {@code docs/*.md} and {@link DocSnippetsTest} in step: every {@code ```java} block in the docs is preceded
 * by {@code <!-- snippet: NAME -->}, and its code equals (ignoring indentation and blank lines) the code between
 * {@code // snippet:NAME} and {@code // end-snippet} in the tests, which compile and run it. Every snippet in the
 * tests is used by the docs, and no name is used twice.
 */
class DocsMatchSnippetsTest {

    private static final Pattern MD_BLOCK = Pattern.compile("(?:<!--\\s*snippet:\\s*([\\w.-]+)\\s*-->\\s*\\n)?```java[^\\n]*\\n(.*?)```",
            Pattern.DOTALL);
    private static final Pattern TEST_BLOCK = Pattern.compile("^[ \\t]*//\\s*snippet:([\\w.-]+)[^\\n]*\\n(.*?)^[ \\t]*//\\s*end-snippet",
            Pattern.DOTALL | Pattern.MULTILINE);
    private static final Path TEST_SOURCES = Path.of("src/test/java/io/microw/docs");

    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !(Files.isDirectory(p.resolve("docs")) && Files.exists(p.resolve("microw-demo")))) {
            p = p.getParent();
        }
        assertThat(p).as("repository root with docs/ above " + Path.of("").toAbsolutePath()).isNotNull();
        return p;
    }

    /** Trims every line and drops blank ones, so indentation (a test method's, or none) does not matter. */
    static String normalise(String code) {
        return code.lines().map(String::strip).filter(l -> !l.isEmpty()).collect(Collectors.joining("\n"));
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> docs() throws IOException {
        try (Stream<Path> s = Files.list(repoRoot().resolve("docs"))) {
            return s.filter(f -> f.toString().endsWith(".md")).sorted().toList();
        }
    }

    static Map<String, String> testSnippets() throws IOException {
        Path dir = repoRoot().resolve("microw-demo").resolve(TEST_SOURCES);
        Map<String, String> out = new LinkedHashMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                Matcher m = TEST_BLOCK.matcher(read(f));
                while (m.find()) {
                    String previous = out.put(m.group(1), normalise(m.group(2)));
                    assertThat(previous).as("snippet " + m.group(1) + " defined twice in the tests").isNull();
                }
            }
        }
        return out;
    }

    @Test
    void everyJavaBlockInTheDocsIsATestedSnippet() throws IOException {
        Map<String, String> tested = testSnippets();
        assertThat(tested).as("snippets in the tests").isNotEmpty();
        Map<String, String> used = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        List<Path> pages = docs();
        assertThat(pages).isNotEmpty();
        for (Path page : pages) {
            Matcher m = MD_BLOCK.matcher(read(page));
            while (m.find()) {
                String name = m.group(1);
                String where = page.getFileName() + " at offset " + m.start();
                if (name == null) {
                    problems.add(where + ": ```java block without a <!-- snippet: NAME --> comment before it");
                    continue;
                }
                if (used.put(name, where) != null) {
                    problems.add(where + ": snippet " + name + " used twice");
                }
                String code = tested.get(name);
                if (code == null) {
                    problems.add(where + ": snippet " + name + " has no // snippet:" + name + " block in the tests");
                } else if (!code.equals(normalise(m.group(2)))) {
                    problems.add(where + ": snippet " + name + " differs from the test.\n--- docs:\n"
                            + normalise(m.group(2)) + "\n--- test:\n" + code);
                }
            }
        }
        for (String name : tested.keySet()) {
            if (!used.containsKey(name)) {
                problems.add("snippet " + name + " is in the tests but in no page of docs/");
            }
        }
        if (!problems.isEmpty()) {
            fail(String.join("\n\n", problems));
        }
    }

    @Test
    void normalisingIgnoresIndentationOnly() {
        assertThat(normalise("    a();\n\n        b();\n")).isEqualTo("a();\nb();");
        assertThat(normalise("a(1);")).isNotEqualTo(normalise("a(2);"));
    }
}
