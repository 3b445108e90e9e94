package io.microw.demo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Detector;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;
import io.microw.lm.LanguageModel;
import io.microw.lm.SaveOptions;
import io.microw.store.LocalStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Any registered detector's tensor metadata is saved with each batch, as mi-crow saves detector data. */
class DetectorDataSavedTest {

    /** Keeps, per forward, the mean and the max of its layer's output over the hidden dimension. */
    static final class MeanMaxDetector extends BaseHook implements Detector, AutoCloseable {
        private final NDManager manager = NDManager.newBaseManager();
        private NDArray mean;
        private NDArray max;
        final List<float[]> means = new ArrayList<>();

        MeanMaxDetector(String layer) {
            super(HookType.FORWARD, layer, "meanmax");
        }

        @Override
        public void processActivations(HookCall call) {
            if (mean != null) {
                mean.close();
                max.close();
            }
            mean = call.output().mean(new int[] {2});
            max = call.output().max(new int[] {2});
            mean.attach(manager);
            max.attach(manager);
            means.add(mean.toFloatArray());
        }

        @Override
        public Map<String, NDArray> tensorMetadata() {
            return mean == null ? Map.of() : Map.of("mean", mean, "max", max);
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    @Test
    void registeredDetectorTensorsAreStoredPerBatch(@TempDir Path dir) {
        List<String> texts = List.of("The jury said it.", "A second text, longer than the first one.", "Third.");
        try (LanguageModel lm = BrownGpt2.load(); MeanMaxDetector detector = new MeanMaxDetector("layer_0")) {
            lm.layers().registerHook("layer_0", detector);
            String run = lm.activations().saveActivations(texts, List.of("layer_1"),
                    SaveOptions.into(dir).withRunName("det").withBatchSize(2));
            LocalStore store = new LocalStore(dir);
            assertThat(store.listBatches(run)).containsExactly(0, 1);
            for (int batch = 0; batch < 2; batch++) {
                assertThat(store.batchKeys(run, batch, "transformer.h.0")).contains("meanmax.mean", "meanmax.max");
                float[] saved = store.readTensor(run, batch, "transformer.h.0", "meanmax.mean").requireFloats();
                assertThat(saved).containsExactly(detector.means.get(batch));
            }
        }
    }
}
