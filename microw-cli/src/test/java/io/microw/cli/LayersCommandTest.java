package io.microw.cli;

import io.microw.demo.BrownGpt2;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LayersCommandTest {

    @Test
    void listsTheDemoModelAsAnIndentedTreeWithAliases() {
        CliRun run = CliRun.of("layers");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("GPT2LMHeadModel, 4 layers, d 256");
        List<String> lines = Arrays.asList(run.out().split("\n"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("root  GPT2LMHeadModel"));
        assertThat(lines).anySatisfy(l -> assertThat(l)
                .startsWith("      transformer.h.1  GPT2Block").contains("layer_1", "blocks.1"));
        assertThat(lines).anySatisfy(l -> assertThat(l)
                .startsWith("          transformer.h.1.attn.c_attn  Conv1D")
                .contains("gpt2lmheadmodel_transformer_h_1_attn_c_attn"));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("transformer.h  ModuleList (container"));
    }

    @Test
    void loadsAModelDirectory() {
        CliRun run = CliRun.of("layers", BrownGpt2.directory().toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).startsWith(BrownGpt2.directory().toString()).contains("transformer.h.3.hook_resid_post");
    }

    @Test
    void flatPrintsOneCanonicalNamePerLine() {
        CliRun run = CliRun.of("layers", "--flat");
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> lines = Arrays.asList(run.out().strip().split("\n"));
        assertThat(lines).startsWith("transformer", "transformer.wte").contains("lm_head", "transformer.h.0.attn.hook_pattern");
        assertThat(lines).allSatisfy(l -> assertThat(l).doesNotContain(" "));
    }

    @Test
    void missingDirectoryIsAnErrorWithAClearMessage(@TempDir Path tmp) {
        Path missing = tmp.resolve("no-such-model");
        CliRun run = CliRun.of("layers", missing.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err().strip()).startsWith("microw: error:").contains(missing.toString(), "does not exist")
                .doesNotContain("\tat ");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void directoryWithoutConfigIsAnError(@TempDir Path tmp) {
        CliRun run = CliRun.of("layers", tmp.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("config.json").doesNotContain("\tat ");
    }

    @Test
    void verboseAddsTheStackTrace(@TempDir Path tmp) {
        CliRun run = CliRun.of("layers", "--verbose", tmp.resolve("nope").toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("microw: error:", "\tat ");
    }
}
