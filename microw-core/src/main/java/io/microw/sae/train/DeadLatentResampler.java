package io.microw.sae.train;

import java.util.SplittableRandom;

/**
 * Re-initialises dead latents towards inputs the SAE reconstructs badly (Anthropic's resampling, simplified): each
 * dead latent gets, as its decoder row, the normalised reconstruction error of an input drawn from the batch with
 * probability proportional to its squared error; its encoder row is that direction scaled to 0.2 × the mean
 * encoder-row norm of the live latents; its bias and its Adam moments are reset.
 */
final class DeadLatentResampler {

    private DeadLatentResampler() {
    }

    /** Returns how many latents were resampled. */
    static int resample(TrainingModel model, boolean[] dead, float[][] x, float[][] recon, long seed) {
        int d = model.dIn;
        int rows = x.length;
        double[] cumulative = new double[rows];
        double total = 0;
        for (int b = 0; b < rows; b++) {
            double e = 0;
            for (int c = 0; c < d; c++) {
                double diff = x[b][c] - recon[b][c];
                e += diff * diff;
            }
            total += e;
            cumulative[b] = total;
        }
        if (!(total > 0)) {
            return 0;
        }
        double aliveNorm = 0;
        int alive = 0;
        for (int l = 0; l < model.dSae; l++) {
            if (!dead[l]) {
                aliveNorm += Math.sqrt(ParamTensor.dot(model.wEncT.data[l], model.wEncT.data[l]));
                alive++;
            }
        }
        double encoderNorm = alive > 0 ? 0.2 * aliveNorm / alive : 0.2;
        SplittableRandom random = new SplittableRandom(seed);
        int resampled = 0;
        for (int l = 0; l < model.dSae; l++) {
            if (!dead[l]) {
                continue;
            }
            int b = pick(cumulative, random.nextDouble() * total);
            double norm = 0;
            for (int c = 0; c < d; c++) {
                double diff = x[b][c] - recon[b][c];
                norm += diff * diff;
            }
            if (norm == 0) {
                continue;
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int c = 0; c < d; c++) {
                float dir = (x[b][c] - recon[b][c]) * inv;
                model.wDec.data[l][c] = dir;
                model.wEncT.data[l][c] = (float) (dir * encoderNorm);
            }
            model.wDec.resetMoments(l);
            model.wEncT.resetMoments(l);
            model.bEnc.vector()[l] = 0f;
            model.bEnc.resetMoments(l);
            resampled++;
        }
        if (resampled > 0) {
            model.wDec.valuesChanged();
            model.wEncT.valuesChanged();
        }
        return resampled;
    }

    private static int pick(double[] cumulative, double target) {
        int lo = 0;
        int hi = cumulative.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (cumulative[mid] < target) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
