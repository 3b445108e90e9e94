package io.microw.cli;

import io.microw.concepts.ConceptDictionary;
import io.microw.sae.Sae;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code microw concepts name}: sets (or removes) one latent's name in a concept dictionary file. */
@Command(name = "name",
        description = {"Name a latent in a concept dictionary file (.json or .csv), or remove its name. A file that "
            + "does not exist yet is created; it then needs --sae (or --latents-count) for the number of latents."},
        footer = {"", "Examples:",
            "  microw concepts name --dictionary concepts.json --latent 17 --name numbers --description \"number words\"",
            "  microw concepts name --dictionary new.json --sae sae-h2/sae --latent 3 --name plural-nouns --score 0.8",
            "  microw concepts name --dictionary concepts.json --latent 17 --remove"})
final class ConceptsNameCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--dictionary", required = true, paramLabel = "FILE", description = "Concept dictionary to edit.")
    Path file;

    @Option(names = "--latent", required = true, paramLabel = "I", description = "Latent index.")
    int latent;

    @Option(names = "--name", paramLabel = "NAME", description = "Concept name.")
    String name;

    @Option(names = "--description", paramLabel = "TEXT", defaultValue = "", description = "What the latent stands for.")
    String description;

    @Option(names = "--score", defaultValue = "1.0", description = "Confidence score (default: ${DEFAULT-VALUE}).")
    double score;

    @Option(names = "--remove", description = "Remove the latent's name instead.")
    boolean remove;

    @Option(names = "--sae", paramLabel = "DIR|RELEASE:ID", converter = SaeSource.Converter.class,
            description = "SAE the dictionary belongs to (for its latent count): a folder or RELEASE:ID.")
    SaeSource source;

    @Option(names = "--latents-count", paramLabel = "N", description = "Latent count of a new dictionary.")
    Integer latentsCount;

    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        if (remove == (name != null)) {
            throw new ParameterException(cmd, "give --name NAME, or --remove");
        }
        if (name != null && name.isBlank()) {
            throw new ParameterException(cmd, "--name must not be blank");
        }
        if (!Double.isFinite(score)) {
            throw new ParameterException(cmd, "--score must be a finite number, got " + score);
        }
        int n = -1;
        if (source != null) {
            try (Sae sae = SaeSupport.openSae(cmd, source)) {
                n = sae.dSae();
            }
        } else if (latentsCount != null) {
            if (latentsCount < 1) {
                throw new ParameterException(cmd, "--latents-count must be at least 1, got " + latentsCount);
            }
            n = latentsCount;
        }
        boolean exists = Files.exists(file);
        if (!exists && n < 0) {
            throw new ParameterException(cmd, file + " does not exist; to create it, give --sae DIR or "
                    + "--latents-count N");
        }
        ConceptDictionary dict = exists ? ConceptDictionary.load(file, n) : ConceptDictionary.forLatents(n);
        if (latent < 0 || latent >= dict.dSae()) {
            throw new ParameterException(cmd, "latent " + latent + " is out of range: the dictionary has "
                    + dict.dSae() + " latents (0.." + (dict.dSae() - 1) + ")");
        }
        PrintWriter out = cmd.getOut();
        if (remove) {
            boolean removed = dict.remove(latent);
            dict.save(file);
            out.println(removed ? "removed the name of latent " + latent + " from " + file
                    : "latent " + latent + " had no name in " + file);
        } else {
            ConceptDictionary.Concept c = dict.set(latent, name, description, score, "manual");
            dict.save(file);
            out.println("latent " + latent + " is now '" + c.name() + "' in " + file + " (" + dict.size()
                    + " named)");
        }
        out.flush();
        return 0;
    }
}
