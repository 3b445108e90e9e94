package io.microw.sae.train;

import ai.djl.ndarray.NDManager;
import io.microw.sae.Sae;
import io.microw.sae.SaeException;
import io.microw.sae.SaeInit;
import io.microw.sae.TrainingRule;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The working copy of an SAE during training, in the layout the kernels want: the encoder stored transposed
 * ({@code W_enc^T [d_sae, d_in]}, one row per latent) next to the decoder {@code [d_sae, d_in]}; JumpReLU
 * thresholds as their logarithm (SAELens' parametrisation); a BatchTopK SAE's single running threshold.
 * {@link #copyInto} writes the result back in SAELens' layout.
 */
final class TrainingModel {

    final TrainingRule rule;
    /** The SAE trained: the engine arrays of a step are made in its managers, on its device. */
    private final Sae sae;
    final int dIn;
    final int dSae;
    final int k;
    final boolean applyBDecToInput;
    final ParamTensor wEncT;
    final ParamTensor bEnc;
    final ParamTensor wDec;
    final ParamTensor bDec;
    final ParamTensor logThreshold;
    /** BatchTopK: running mean of the smallest kept activation, the inference threshold. */
    double batchTopKThreshold;

    TrainingModel(Sae sae) {
        this.rule = sae.architecture().training().orElseThrow(() -> new SaeException(
                sae.architecture().saeLensName() + " SAEs have no training rule"));
        this.sae = sae;
        this.dIn = sae.dIn();
        this.dSae = sae.dSae();
        this.k = sae.config().k();
        this.applyBDecToInput = sae.config().applyBDecToInput();
        this.wEncT = new ParamTensor("W_enc", dSae, dIn, SaeInit.transpose(sae.parameter("W_enc"), dIn, dSae));
        this.bEnc = new ParamTensor("b_enc", dSae, 1, sae.parameter("b_enc"));
        this.wDec = new ParamTensor("W_dec", dSae, dIn, sae.parameter("W_dec"));
        this.bDec = new ParamTensor("b_dec", dIn, 1, sae.parameter("b_dec"));
        if (rule == TrainingRule.JUMP_RELU_L0) {
            float[] t = sae.parameter("threshold");
            float[] log = new float[t.length];
            for (int i = 0; i < t.length; i++) {
                log[i] = (float) Math.log(Math.max(t[i], 1e-12f));
            }
            this.logThreshold = new ParamTensor("log_threshold", dSae, 1, log);
        } else {
            this.logThreshold = null;
        }
        if (rule == TrainingRule.BATCH_TOP_K) {
            batchTopKThreshold = sae.parameter("threshold")[0];
        }
    }

    /** A manager for a step's engine arrays: the SAE's ({@link Sae#newManager()}), on its device. */
    NDManager newManager() {
        return sae.newManager();
    }

    /** Scales every decoder row to {@code norm} and sets the encoder to the decoder's transpose. */
    void tieEncoderToDecoder(double norm) {
        for (int r = 0; r < dSae; r++) {
            float[] dec = wDec.data[r];
            double s = ParamTensor.dot(dec, dec);
            float f = s > 0 ? (float) (norm / Math.sqrt(s)) : 0f;
            for (int c = 0; c < dIn; c++) {
                dec[c] *= f;
            }
            System.arraycopy(dec, 0, wEncT.data[r], 0, dIn);
        }
        wEncT.valuesChanged();
        wDec.valuesChanged();
    }

    /** The tensors Adam updates. */
    List<ParamTensor> trainable() {
        return logThreshold == null ? List.of(wEncT, bEnc, wDec, bDec) : List.of(wEncT, bEnc, wDec, bDec, logThreshold);
    }

    /** Decoder row norms. */
    float[] decoderNorms() {
        float[] norms = new float[dSae];
        for (int r = 0; r < dSae; r++) {
            norms[r] = (float) Math.sqrt(ParamTensor.dot(wDec.data[r], wDec.data[r]));
        }
        return norms;
    }

    /** JumpReLU thresholds {@code exp(log_threshold)}. */
    float[] thresholds() {
        float[] t = new float[dSae];
        for (int i = 0; i < dSae; i++) {
            t[i] = (float) Math.exp(logThreshold.vector()[i]);
        }
        return t;
    }

    /** The parameters in SAELens' names and layouts. */
    Map<String, float[]> saeParameters() {
        Map<String, float[]> p = new LinkedHashMap<>();
        p.put("W_enc", SaeInit.transpose(wEncT.values(), dSae, dIn));
        p.put("b_enc", bEnc.values());
        p.put("W_dec", wDec.values());
        p.put("b_dec", bDec.values());
        if (rule == TrainingRule.JUMP_RELU_L0) {
            p.put("threshold", thresholds());
        } else if (rule == TrainingRule.BATCH_TOP_K) {
            float[] t = new float[dSae];
            java.util.Arrays.fill(t, (float) batchTopKThreshold);
            p.put("threshold", t);
        }
        return p;
    }

    /** Writes the trained values into {@code sae} (same architecture and sizes). */
    void copyInto(Sae sae) {
        for (Map.Entry<String, float[]> e : saeParameters().entrySet()) {
            sae.setParameter(e.getKey(), e.getValue());
        }
    }
}
