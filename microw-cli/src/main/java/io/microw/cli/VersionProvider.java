package io.microw.cli;

import picocli.CommandLine.IVersionProvider;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * {@code microw --version}: microw's version (filtered in by Maven at build time), the Java runtime, and the engine
 * settings libtorch will run under ({@link EngineEnvironment}: OpenMP wait policy, malloc tunables).
 */
final class VersionProvider implements IVersionProvider {

    /** microw's version, or "unknown" when the build did not record it. */
    static String microwVersion() {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        String v = p.getProperty("version", "unknown");
        return v.startsWith("${") ? "unknown" : v;
    }

    @Override
    public String[] getVersion() {
        List<String> lines = new ArrayList<>(List.of("microw " + microwVersion(),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + "), "
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch")));
        EngineEnvironment.current().forEach(s -> lines.add(s.describe()));
        return lines.toArray(String[]::new);
    }
}
