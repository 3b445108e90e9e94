package io.microw.cli;

import io.microw.MicrowException;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** Where a command's prompts come from: exactly one of {@code --prompt TEXT} or {@code --file F} (one per line). */
final class PromptSource {

    @Option(names = "--prompt", paramLabel = "TEXT", description = "The prompt.")
    String prompt;

    @Option(names = "--file", paramLabel = "FILE",
            description = "A UTF-8 text file with one prompt per line (blank lines are skipped).")
    Path file;

    /** The prompts; a missing or empty file is a runtime error, an empty --prompt a usage error. */
    List<String> prompts(CommandLine cmd) {
        if (file == null) {
            if (prompt == null || prompt.isBlank()) {
                throw new CommandLine.ParameterException(cmd, "--prompt must not be empty");
            }
            return List.of(prompt);
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new MicrowException("prompt file " + file + " does not exist");
        } catch (IOException e) {
            throw new MicrowException("cannot read prompt file " + file + ": " + e.getMessage(), e);
        }
        List<String> prompts = lines.stream().filter(l -> !l.isBlank()).toList();
        if (prompts.isEmpty()) {
            throw new MicrowException("prompt file " + file + " has no prompts (one per line)");
        }
        return prompts;
    }
}
