package io.microw.cli;

import io.microw.sae.Sae;
import io.microw.sae.SaeLensFormat;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/**
 * {@code microw sae export}: writes an SAE again in SAELens' current layout (float32, cfg.json of SAELens 6), so an
 * SAE read from an older layout or half precision opens in SAELens as it is here; the sparsity file is copied.
 */
@Command(name = "export",
        description = {"Write a copy of an SAE in SAELens' current layout (float32 weights, SAELens 6 cfg.json) to a "
            + "new folder; sparsity.safetensors is copied along. An input scale is always folded into the weights, "
            + "as SAELens expects; --fold-scale states it explicitly."},
        footer = {"", "Example:", "  microw sae export --sae sae-h2/sae --out sae-h2-saelens --fold-scale"})
final class SaeExportCommand implements java.util.concurrent.Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--sae", required = true, paramLabel = "DIR|RELEASE:ID", converter = SaeSource.Converter.class,
            description = "SAE folder to export, or a published SAE by release and id (RELEASE:ID).")
    SaeSource source;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "New folder to write.")
    Path out;

    @Option(names = "--fold-scale", description = "Fold the input scale into the weights (input scale 1 after).")
    boolean foldScale;

    @Option(names = "--force", description = "Replace the SAE files in OUT if it exists.")
    boolean force;

    @Override
    public Integer call() {
        try (Sae sae = SaeSupport.openSae(spec.commandLine(), source)) {
            Path saeDir = source.folder(sae);
            if (Files.exists(out) && !force && !isEmptyDir(out)) {
                throw new IllegalArgumentException(out + " already exists; choose another --out or add --force");
            }
            if (out.toAbsolutePath().normalize().equals(saeDir.toAbsolutePath().normalize())) {
                throw new IllegalArgumentException("--out is the SAE folder itself; choose another folder");
            }
            float scale = sae.inputScale();
            if (foldScale) {
                sae.foldInputScale();
            }
            SaeLensFormat.write(sae, out);
            Path sparsity = saeDir.resolve(SaeLensFormat.SPARSITY_FILE);
            if (Files.isRegularFile(sparsity)) {
                Files.copy(sparsity, out.resolve(SaeLensFormat.SPARSITY_FILE), StandardCopyOption.REPLACE_EXISTING);
            }
            PrintWriter o = spec.commandLine().getOut();
            o.println("exported " + sae + " to " + out + " (SAELens layout" + (scale != 1f
                    ? ", input scale " + scale + " folded into the weights" : "") + ")");
            o.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("could not copy the sparsity file: " + e.getMessage(), e);
        }
        return 0;
    }

    private static boolean isEmptyDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
