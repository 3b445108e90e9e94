package io.microw.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ModelCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(CliRun run) throws Exception {
        assertThat(run.exitCode()).as(run.err()).isZero();
        return JSON.readTree(run.out());
    }

    @Test
    void infoDescribesTheEmbeddedModel() throws Exception {
        CliRun run = CliRun.of("model", "info");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("brown-gpt2", "GPT2LMHeadModel", "layers        4", "hidden size   256",
                "tokenizer     yes", "parameters    ");

        JsonNode n = json(CliRun.of("model", "info", "--json"));
        assertThat(n.path("architecture").asText()).isEqualTo("GPT2LMHeadModel");
        assertThat(n.path("layers").asInt()).isEqualTo(4);
        assertThat(n.path("hidden_size").asInt()).isEqualTo(256);
        assertThat(n.path("heads").asInt()).isPositive();
        assertThat(n.path("vocab_size").asInt()).isPositive();
        assertThat(n.path("context").asInt()).isPositive();
        assertThat(n.path("parameters").asLong()).isGreaterThan(1_000_000L);
        assertThat(n.path("dtype").asText()).isEqualTo("float32");
        assertThat(n.path("tokenizer").asBoolean()).isTrue();
    }

    @Test
    void layersMatchesTheTopLevelLayersCommandAndHasJson() throws Exception {
        CliRun model = CliRun.of("model", "layers");
        CliRun top = CliRun.of("layers");
        assertThat(model.exitCode()).as(model.err()).isZero();
        assertThat(model.out().lines().skip(1).toList()).isEqualTo(top.out().lines().skip(1).toList());
        assertThat(model.out()).startsWith("brown-gpt2: GPT2LMHeadModel");

        CliRun flat = CliRun.of("model", "layers", "--flat");
        List<String> names = Arrays.asList(flat.out().strip().split("\n"));
        JsonNode n = json(CliRun.of("model", "layers", "--json"));
        assertThat(n.path("count").asInt()).isEqualTo(names.size());
        JsonNode h1 = null;
        for (JsonNode layer : n.path("layers")) {
            if (layer.path("name").asText().equals("transformer.h.1")) {
                h1 = layer;
            }
        }
        assertThat(h1).isNotNull();
        assertThat(h1.path("type").asText()).isEqualTo("GPT2Block");
        assertThat(h1.path("hookable").asBoolean()).isTrue();
        assertThat(h1.path("index").asInt()).isEqualTo(names.indexOf("transformer.h.1"));
        assertThat(h1.path("aliases").toString()).contains("layer_1", "blocks.1");
    }

    @Test
    void runCapturesLayersAndShowsTheNextTokens() throws Exception {
        CliRun run = CliRun.of("model", "run", "--prompt", "The jury said", "--capture", "layer_1");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("prompt \"The jury said\"", "capture transformer.h.1: shape [1, ", ", 256]",
                "mean ", "std ", "norm ", "next tokens:", "%");
        assertThat(run.out().lines().filter(l -> l.matches("\\s+\\d+\\.\\d\\d%  \".*\"")).count()).isEqualTo(5);

        JsonNode plain = json(CliRun.of("model", "run", "--prompt", "The jury said", "--capture", "transformer.h.2.mlp",
                "--json"));
        JsonNode scaled = json(CliRun.of("model", "run", "--prompt", "The jury said", "--capture", "blocks.3",
                "--scale", "transformer.h.2.mlp=3", "--json"));
        JsonNode p = plain.path("prompts").get(0);
        assertThat(p.path("next_tokens")).hasSize(5);
        double sum = 0;
        double previous = 1;
        for (JsonNode t : p.path("next_tokens")) {
            double prob = t.path("probability").asDouble();
            assertThat(prob).isBetween(0.0, previous);
            previous = prob;
            sum += prob;
        }
        assertThat(sum).isBetween(0.0, 1.0 + 1e-9);
        JsonNode c = p.path("captures").get(0);
        assertThat(c.path("layer").asText()).isEqualTo("transformer.h.2.mlp");
        assertThat(c.path("shape").get(2).asInt()).isEqualTo(256);
        assertThat(c.path("std").asDouble()).isPositive();
        assertThat(c.path("max").asDouble()).isGreaterThanOrEqualTo(c.path("min").asDouble());
        assertThat(scaled.path("scaled").get(0).asText()).isEqualTo("transformer.h.2.mlp=3");
        assertThat(scaled.path("prompts").get(0).path("next_tokens").get(0).path("probability").asDouble())
                .isNotCloseTo(p.path("next_tokens").get(0).path("probability").asDouble(), within(1e-6));
    }

    @Test
    void runOverAFileShowsProgressAndOneResultPerPrompt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("prompts.txt");
        Files.writeString(file, "The jury said\n\nIt was\nThe city\n");
        CliRun run = CliRun.of("model", "run", "--file", file.toString(), "--json");
        JsonNode n = json(run);
        assertThat(n.path("prompts")).hasSize(3);
        assertThat(n.path("complete").asBoolean()).isTrue();
        assertThat(run.err()).contains("3/3 prompts");
    }

    @Test
    void generateIsGreedyByDefaultAndRepeatsWithASeed() throws Exception {
        CliRun greedy = CliRun.of("model", "generate", "--prompt", "The jury said", "--max-new-tokens", "6");
        assertThat(greedy.exitCode()).as(greedy.err()).isZero();
        assertThat(greedy.out()).contains("greedy", "\nThe jury said");

        JsonNode a = json(CliRun.of("model", "generate", "--prompt", "The jury said", "--max-new-tokens", "6",
                "--temperature", "0.9", "--top-k", "20", "--top-p", "0.95", "--seed", "3", "--json"));
        JsonNode b = json(CliRun.of("model", "generate", "--prompt", "The jury said", "--max-new-tokens", "6",
                "--temperature", "0.9", "--top-k", "20", "--top-p", "0.95", "--seed", "3", "--json"));
        assertThat(a.path("sampling").asBoolean()).isTrue();
        JsonNode g = a.path("generations").get(0);
        assertThat(g.path("text").asText()).startsWith("The jury said");
        assertThat(g.path("new_tokens").asInt()).isBetween(1, 6);
        assertThat(g.path("text").asText()).isEqualTo(b.path("generations").get(0).path("text").asText());
    }

    @Test
    void generateTakesARepetitionPenaltyAndStopStrings() throws Exception {
        JsonNode plain = json(CliRun.of("model", "generate", "--prompt", "The jury said", "--max-new-tokens", "16",
                "--json")).path("generations").get(0);
        JsonNode penalised = json(CliRun.of("model", "generate", "--prompt", "The jury said", "--max-new-tokens", "16",
                "--repetition-penalty", "1.8", "--json"));
        assertThat(penalised.path("repetition_penalty").asDouble()).isEqualTo(1.8);
        assertThat(penalised.path("generations").get(0).path("text").asText())
                .isNotEqualTo(plain.path("text").asText());
        JsonNode stopped = json(CliRun.of("model", "generate", "--prompt", "The jury said", "--max-new-tokens", "16",
                "--stop", "\"", "--json"));
        assertThat(stopped.path("stop").get(0).asText()).isEqualTo("\"");
        String text = stopped.path("generations").get(0).path("text").asText();
        assertThat(plain.path("text").asText()).startsWith(text);
        assertThat(text.length()).isLessThan(plain.path("text").asText().length());
        CliRun bad = CliRun.of("model", "generate", "--prompt", "a", "--repetition-penalty", "0");
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.err()).contains("--repetition-penalty");
    }

    @Test
    void generateWithAScaleChangesTheTextAndFilesShowProgress(@TempDir Path dir) throws Exception {
        JsonNode plain = json(CliRun.of("model", "generate", "--prompt", "The jury said", "--max-new-tokens", "20",
                "--json"));
        JsonNode scaled = json(CliRun.of("model", "generate", "--prompt", "The jury said", "--max-new-tokens", "20",
                "--scale", "transformer.h.2.mlp=3", "--json"));
        assertThat(scaled.path("generations").get(0).path("text").asText())
                .isNotEqualTo(plain.path("generations").get(0).path("text").asText());

        Path file = dir.resolve("prompts.txt");
        Files.writeString(file, "The jury said\nIt was\n");
        CliRun run = CliRun.of("model", "generate", "--file", file.toString(), "--max-new-tokens", "3");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("\nThe jury said", "\nIt was");
        assertThat(run.err()).contains("2/2 prompts", "tok/s");
    }

    @Test
    void usageErrorsExitWithOneAndAHelpfulMessage(@TempDir Path dir) {
        CliRun unknownLayer = CliRun.of("model", "run", "--prompt", "x", "--capture", "transformer.h.9");
        assertThat(unknownLayer.exitCode()).isEqualTo(1);
        assertThat(unknownLayer.err()).contains("--capture", "unknown layer 'transformer.h.9'", "microw model layers")
                .doesNotContain("\tat ");

        CliRun unknownScaled = CliRun.of("model", "generate", "--prompt", "x", "--scale", "nope=2");
        assertThat(unknownScaled.exitCode()).isEqualTo(1);
        assertThat(unknownScaled.err()).contains("--scale", "unknown layer 'nope'");

        CliRun badScale = CliRun.of("model", "run", "--prompt", "x", "--scale", "transformer.h.2");
        assertThat(badScale.exitCode()).isEqualTo(1);
        assertThat(badScale.err()).contains("--scale", "LAYER=FACTOR");

        CliRun badFactor = CliRun.of("model", "generate", "--prompt", "x", "--scale", "transformer.h.2=big");
        assertThat(badFactor.exitCode()).isEqualTo(1);
        assertThat(badFactor.err()).contains("'big'", "not a number");

        CliRun missing = CliRun.of("model", "run");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.err()).contains("--prompt", "--file");

        CliRun both = CliRun.of("model", "generate", "--prompt", "x", "--file", "f.txt");
        assertThat(both.exitCode()).isEqualTo(1);
        assertThat(both.err()).contains("mutually exclusive");

        CliRun unknownFlag = CliRun.of("model", "info", "--colour");
        assertThat(unknownFlag.exitCode()).isEqualTo(1);
        assertThat(unknownFlag.err()).contains("Unknown option: '--colour'");

        CliRun container = CliRun.of("model", "run", "--prompt", "x", "--capture", "transformer.h");
        assertThat(container.exitCode()).isEqualTo(1);
        assertThat(container.err()).contains("container");

        CliRun same = CliRun.of("model", "run", "--prompt", "x", "--capture", "layer_2", "--scale", "transformer.h.2=2");
        assertThat(same.exitCode()).isEqualTo(1);
        assertThat(same.err()).contains("same layer");

        CliRun temperature = CliRun.of("model", "generate", "--prompt", "x", "--temperature", "0");
        assertThat(temperature.exitCode()).isEqualTo(1);
        assertThat(temperature.err()).contains("--temperature", "positive");

        CliRun tokens = CliRun.of("model", "generate", "--prompt", "x", "--max-new-tokens", "0");
        assertThat(tokens.exitCode()).isEqualTo(1);
        assertThat(tokens.err()).contains("--max-new-tokens");

        CliRun bare = CliRun.of("model");
        assertThat(bare.exitCode()).isEqualTo(1);
        assertThat(bare.err()).contains("info", "layers", "run", "generate");
    }

    @Test
    void runtimeFailuresExitWithTwo(@TempDir Path dir) {
        CliRun noFile = CliRun.of("model", "generate", "--file", dir.resolve("none.txt").toString());
        assertThat(noFile.exitCode()).isEqualTo(2);
        assertThat(noFile.err().strip()).startsWith("microw: error:").contains("none.txt", "does not exist");

        CliRun badModel = CliRun.of("model", "info", "--model", dir.resolve("none").toString());
        assertThat(badModel.exitCode()).isEqualTo(2);
        assertThat(badModel.err()).contains("microw: error:");
    }

    @Test
    void everyModelCommandHasHelpWithAnExample() {
        for (String sub : List.of("info", "layers", "run", "generate")) {
            CliRun help = CliRun.of("model", sub, "--help");
            assertThat(help.exitCode()).as(sub).isZero();
            assertThat(help.out()).as(sub).contains("Usage: microw model " + sub, "Example", "microw model " + sub);
        }
        assertThat(CliRun.of("model", "--help").out()).contains("Example", "Commands:");
    }
}
