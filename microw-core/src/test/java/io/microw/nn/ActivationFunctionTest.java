package io.microw.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.microw.MicrowException;
import org.junit.jupiter.api.Test;

import java.util.function.DoubleUnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ActivationFunctionTest {

    private static final float[] XS = {-6f, -3f, -1.5f, -0.5f, -1e-3f, 0f, 1e-3f, 0.5f, 1f, 2.5f, 6f};

    private static double erf(double x) {
        // Abramowitz-Stegun 7.1.26 is too coarse; integrate the series instead (|x| <= 6 here).
        double sum = 0;
        double term = x;
        for (int n = 0; n < 200; n++) {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    private static void check(ActivationFunction f, DoubleUnaryOperator reference) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(XS);
            float[] y = f.apply(x).toFloatArray();
            for (int i = 0; i < XS.length; i++) {
                assertThat((double) y[i]).as(f + "(" + XS[i] + ")").isCloseTo(reference.applyAsDouble(XS[i]),
                        org.assertj.core.data.Offset.offset(2e-6));
            }
            assertThat(x.toFloatArray()).as("input untouched").containsExactly(XS);
        }
    }

    @Test
    void geluTanhMatchesItsFormula() {
        check(ActivationFunction.GELU_TANH,
                x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))));
    }

    @Test
    void exactGeluMatchesErfFormula() {
        check(ActivationFunction.GELU, x -> 0.5 * x * (1 + erf(x / Math.sqrt(2))));
    }

    @Test
    void otherActivationsMatchTheirFormulas() {
        check(ActivationFunction.RELU, x -> Math.max(0, x));
        check(ActivationFunction.SILU, x -> x / (1 + Math.exp(-x)));
        check(ActivationFunction.QUICK_GELU, x -> x / (1 + Math.exp(-1.702 * x)));
        check(ActivationFunction.TANH, Math::tanh);
        check(ActivationFunction.SIGMOID, x -> 1 / (1 + Math.exp(-x)));
    }

    @Test
    void configNamesMapToFunctions() {
        assertThat(ActivationFunction.fromConfig("gelu_new")).isEqualTo(ActivationFunction.GELU_TANH);
        assertThat(ActivationFunction.fromConfig("gelu_pytorch_tanh")).isEqualTo(ActivationFunction.GELU_TANH);
        assertThat(ActivationFunction.fromConfig("swish")).isEqualTo(ActivationFunction.SILU);
        assertThat(ActivationFunction.fromConfig("gelu")).isEqualTo(ActivationFunction.GELU);
        assertThatThrownBy(() -> ActivationFunction.fromConfig("gelu_bogus"))
                .isInstanceOf(MicrowException.class).hasMessageContaining("gelu_bogus").hasMessageContaining("gelu_new");
    }
}
