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
            // 0.5 x (1 + tanh(z)) = x sigmoid(2z), 2z = x (c + b x²), c = 2 sqrt(2/pi), b = 0.044715 c: fewer passes
            if (Autograd.recording()) {
                return recordedGeluTanh(x);
            }
            return x.mul(x).muli(GELU_B).addi(GELU_C).muli(x).getNDArrayInternal().sigmoid().muli(x);
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

    private static final float GELU_C = (float) (2 * Math.sqrt(2.0 / Math.PI));
    private static final float GELU_B = 0.044715f * GELU_C;

    /**
     * The tanh GELU in a forward that autograd records, as one product in the graph: the value y and the derivative
     * d = s + x s (1 − s) (c + 3 b x²) (s the sigmoid above) are computed off the graph, and the graph holds
     * {@code x · d + (y − x · d)}, whose backward is one product with d. PyTorch's fused GELU kernel does the same;
     * recording the six element-wise operations instead made the backward five times slower. First-order gradients
     * only (the graph does not know that d depends on x).
     */
    private static NDArray recordedGeluTanh(NDArray x) {
        NDArray free = x.stopGradient();
        NDArray square = free.mul(free);
        NDArray s = square.mul(GELU_B).addi(GELU_C).muli(free).getNDArrayInternal().sigmoid();
        NDArray y = s.mul(free);
        NDArray d = square.muli(3 * GELU_B).addi(GELU_C).muli(free).muli(s).muli(s.neg().addi(1)).addi(s);
        NDArray offset = y.subi(free.mul(d));
        return x.mul(d).add(offset);
    }

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
