package io.microw.nn;

import ai.djl.ndarray.NDArray;
import io.microw.MicrowException;

import java.util.List;

/** The activation functions Hugging Face configs name ({@code activation_function}, {@code hidden_act}). */
public enum ActivationFunction {
    /**
     * Exact GELU, x Φ(x): {@code gelu}.
     */
    GELU("gelu") {
        @Override
        public NDArray apply(NDArray x) {
            return x.getNDArrayInternal().gelu();
        }
    },
    /** tanh approximation of GELU: {@code gelu_new}, {@code gelu_pytorch_tanh}, {@code gelu_fast}. */
    GELU_TANH("gelu_new") {
        @Override
        public NDArray apply(NDArray x) {
            // 0.5 x (1 + tanh(z)) = x sigmoid(2z), z = sqrt(2/pi) (x + 0.044715 x^3): fewer passes over x
            float c = (float) (2 * Math.sqrt(2.0 / Math.PI));
            NDArray twoZ = Autograd.mul(x.mul(x), 0.044715f * c).addi(c).muli(x);
            return Autograd.mul(twoZ.getNDArrayInternal().sigmoid(), x);
        }
    },
    /**
     * x sigmoid(1.702 x): {@code quick_gelu}.
     */
    QUICK_GELU("quick_gelu") {
        @Override
        public NDArray apply(NDArray x) {
            return Autograd.mul(Autograd.times(x, 1.702f).getNDArrayInternal().sigmoid(), x);
        }
    },
    /**
     * max(x, 0): {@code relu}.
     */
    RELU("relu") {
        @Override
        public NDArray apply(NDArray x) {
            return x.getNDArrayInternal().relu();
        }
    },
    /**
     * x sigmoid(x): {@code silu}, {@code swish}.
     */
    SILU("silu") {
        @Override
        public NDArray apply(NDArray x) {
            return Autograd.mul(x.getNDArrayInternal().sigmoid(), x);
        }
    },
    /**
     * tanh(x): {@code tanh}.
     */
    TANH("tanh") {
        @Override
        public NDArray apply(NDArray x) {
            return x.tanh();
        }
    },
    /**
     * sigmoid(x): {@code sigmoid}.
     */
    SIGMOID("sigmoid") {
        @Override
        public NDArray apply(NDArray x) {
            return x.getNDArrayInternal().sigmoid();
        }
    };

    private final String configName;

    ActivationFunction(String configName) {
        this.configName = configName;
    }

    /**
     * Applies the function, returning a new tensor.
     *
     * @param x the input, left unchanged
     * @return the activations, shaped as {@code x}
     */
    public abstract NDArray apply(NDArray x);

    /**
     * The name configs use for it.
     *
     * @return the canonical config name, e.g. {@code gelu_new}
     */
    public String configName() {
        return configName;
    }

    /**
     * The function a config names; unknown names are an error listing the known ones.
     *
     * @param name the config's activation name (aliases such as {@code gelu_pytorch_tanh} and {@code swish} included)
     * @return the function
     */
    public static ActivationFunction fromConfig(String name) {
        switch (name) {
            case "gelu_new":
            case "gelu_pytorch_tanh":
            case "gelu_fast":
                return GELU_TANH;
            case "swish":
                return SILU;
            default:
                for (ActivationFunction f : values()) {
                    if (f.configName.equals(name)) {
                        return f;
                    }
                }
                throw new MicrowException("unknown activation function '" + name + "'; expected one of "
                        + List.of("gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "quick_gelu", "relu",
                        "silu", "swish", "tanh", "sigmoid"));
        }
    }
}
