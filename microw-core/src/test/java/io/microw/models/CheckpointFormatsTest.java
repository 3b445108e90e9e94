package io.microw.models;

import io.microw.io.DType;
import io.microw.io.SafetensorsFile;
import io.microw.io.SafetensorsWriter;
import io.microw.lm.InferenceResult;
import io.microw.lm.LanguageModel;
import io.microw.testing.Compare;
import io.microw.testing.Fixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The same GPT-2 stored sharded, in float16 and in bfloat16, without the base-model prefix. */
class CheckpointFormatsTest {

    private static Fixture fixture;

    @BeforeAll
    static void open() {
        fixture = Fixture.open("gpt2");
    }

    @AfterAll
    static void close() {
        fixture.close();
    }

    /** Copies the fixture model's config and rewrites its weights with {@code writer}. */
    private interface Rewrite {
        void write(SafetensorsFile source, Path dir) throws IOException;
    }

    private double maxLogitDiff(Path dir, Rewrite rewrite) throws IOException {
        Files.copy(fixture.modelDir().resolve("config.json"), dir.resolve("config.json"));
        try (SafetensorsFile source = SafetensorsFile.open(fixture.modelDir().resolve("model.safetensors"))) {
            rewrite.write(source, dir);
        }
        long[][] mask = fixture.ids("attention_mask");
        try (LanguageModel lm = LanguageModel.load(dir);
             InferenceResult r = lm.inference().forward(fixture.ids("input_ids"), mask)) {
            return Compare.maxDiff(r.logits(), fixture.get("logits"), mask);
        }
    }

    private static void copy(SafetensorsFile source, SafetensorsWriter writer, String name, String as, DType dtype) {
        writer.putFloats(as, source.info(name).shape(), source.readFloats(name), dtype);
    }

    @Test
    void shardedCheckpointLoadsThroughItsIndex(@TempDir Path dir) throws IOException {
        double diff = maxLogitDiff(dir, (source, out) -> {
            List<String> names = new ArrayList<>(source.names());
            SafetensorsWriter first = new SafetensorsWriter();
            SafetensorsWriter second = new SafetensorsWriter();
            StringBuilder map = new StringBuilder();
            for (int i = 0; i < names.size(); i++) {
                String shard = i % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
                copy(source, i % 2 == 0 ? first : second, names.get(i), names.get(i), DType.F32);
                map.append(map.length() == 0 ? "" : ",").append('"').append(names.get(i)).append("\":\"")
                        .append(shard).append('"');
            }
            first.write(out.resolve("model-00001-of-00002.safetensors"));
            second.write(out.resolve("model-00002-of-00002.safetensors"));
            Files.writeString(out.resolve("model.safetensors.index.json"),
                    "{\"metadata\":{},\"weight_map\":{" + map + "}}");
        });
        assertThat(diff).isLessThan(1e-4);
    }

    @Test
    void weightsWithoutTransformerPrefixLoad(@TempDir Path dir) throws IOException {
        double diff = maxLogitDiff(dir, (source, out) -> {
            SafetensorsWriter w = new SafetensorsWriter();
            for (String name : source.names()) {
                copy(source, w, name, name.replaceFirst("^transformer\\.", ""), DType.F32);
            }
            w.write(out.resolve("model.safetensors"));
        });
        assertThat(diff).isLessThan(1e-4);
    }

    @Test
    void halfPrecisionCheckpointsAreWidenedToFloat32(@TempDir Path dir) throws IOException {
        for (DType dtype : List.of(DType.F16, DType.BF16)) {
            Path sub = Files.createDirectory(dir.resolve(dtype.name()));
            double diff = maxLogitDiff(sub, (source, out) -> {
                SafetensorsWriter w = new SafetensorsWriter();
                for (String name : source.names()) {
                    copy(source, w, name, name, dtype);
                }
                w.write(out.resolve("model.safetensors"));
            });
            // Rounding the weights moves logits a little; a bug (wrong widening) moves them by orders more.
            assertThat(diff).as(dtype.name()).isGreaterThan(0).isLessThan(dtype == DType.F16 ? 0.005 : 0.05);
        }
    }
}
