package io.microw.sae.train;

import ai.djl.ndarray.NDManager;
import io.microw.sae.Sae;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DeadLatentResamplerTest {

    @Test
    void deadLatentsGetTheDirectionOfABadlyReconstructedInput() {
        int d = 8;
        int rows = 4;
        try (Sae sae = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, d, 6, 2), 1)) {
            TrainingModel model = new TrainingModel(sae);
            float[][] x = new float[rows][d];
            float[][] recon = new float[rows][d];
            // only row 2 is badly reconstructed: its error is along dimension 3
            x[2][3] = 5f;
            boolean[] dead = {false, true, false, false, true, false};
            float[] before = model.wDec.values();
            try (NDManager manager = NDManager.newBaseManager()) {
                model.wEncT.view(manager).close(); // the encoder's engine copy exists before the resampling
            }
            int n = DeadLatentResampler.resample(model, dead, x, recon, 7);
            assertThat(n).isEqualTo(2);
            try (NDManager manager = NDManager.newBaseManager()) {
                assertThat(model.wEncT.view(manager).toFloatArray()).as("the engine sees the resampled encoder")
                        .containsExactly(model.wEncT.values());
            }
            for (int l : new int[] {1, 4}) {
                assertThat(model.wDec.data[l][3]).isCloseTo(1f, within(1e-6f));
                assertThat(model.bEnc.vector()[l]).isZero();
                assertThat(model.wEncT.data[l][3]).isPositive();
            }
            for (int l : new int[] {0, 2, 3, 5}) {
                for (int c = 0; c < d; c++) {
                    assertThat(model.wDec.data[l][c]).isEqualTo(before[l * d + c]);
                }
            }
        }
    }

    @Test
    void nothingHappensWhenEveryInputIsReconstructedExactly() {
        try (Sae sae = Sae.create(SaeConfig.of(SaeArchitecture.TOPK, 4, 6, 2), 1)) {
            TrainingModel model = new TrainingModel(sae);
            float[][] x = new float[2][4];
            assertThat(DeadLatentResampler.resample(model, new boolean[] {true, true, true, true, true, true}, x,
                    new float[2][4], 0)).isZero();
        }
    }
}
