package io.microw;

import org.junit.jupiter.api.Test;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The public API of the documented packages has complete Javadoc: their sources compile with every doclint
 * check ({@code -Xdoclint:all/protected}: missing comments, {@code @param}, {@code @return}, bad HTML and
 * references) without a single warning. Add a package to {@link #PACKAGES} once its warnings are fixed.
 */
class JavadocLintTest {

    static final List<String> PACKAGES = List.of("", "analysis", "concepts", "data", "eval", "hooks", "io", "io/hub", "io/onnx",
            "lm", "models", "nn", "sae", "sae/train", "steering", "store", "tokenizer", "util");

    @Test
    void documentedPackagesHaveNoDoclintWarnings(@org.junit.jupiter.api.io.TempDir Path out) throws IOException {
        Path src = Path.of("src/main/java/io/microw");
        List<Path> files = new ArrayList<>();
        for (String p : PACKAGES) {
            try (Stream<Path> s = Files.list(src.resolve(p))) {
                s.filter(f -> f.toString().endsWith(".java")).forEach(files::add);
            }
        }
        assertThat(files).isNotEmpty();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            List<String> options = List.of("-Xdoclint:all/protected", "-proc:none", "-implicit:none",
                    "-classpath", classpath, "-d", out.toString());
            javac.getTask(null, fm, diagnostics, options, null, fm.getJavaFileObjectsFromPaths(files)).call();
        }
        List<String> problems = diagnostics.getDiagnostics().stream()
                .filter(d -> d.getKind() != Diagnostic.Kind.NOTE)
                .map(d -> (d.getSource() == null ? "" : Path.of(d.getSource().toUri()).getFileName() + ":"
                        + d.getLineNumber() + ": ") + d.getMessage(Locale.ROOT))
                .collect(Collectors.toList());
        assertThat(problems).as("doclint findings in the documented packages").isEmpty();
    }
}
