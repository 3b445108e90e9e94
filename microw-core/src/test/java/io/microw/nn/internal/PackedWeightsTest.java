package io.microw.nn.internal;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PackedWeightsTest {

    private static final int IN = 96;
    private static final int OUT = 72;

    private NDManager manager;
    private NDArray weight;
    private NDArray bias;

    @BeforeEach
    void weights() {
        manager = NDManager.newBaseManager();
        manager.getEngine().setRandomSeed(7);
        weight = manager.randomNormal(new Shape(OUT, IN));
        bias = manager.randomNormal(new Shape(OUT));
    }

    @AfterEach
    void close() {
        opened.forEach(PackedWeights::close);
        manager.close();
    }

    private final List<PackedWeights> opened = new ArrayList<>();

    private PackedWeights packed(NDManager owner, int maxRows) {
        return opened(PackedWeights.forRows(owner, maxRows));
    }

    private PackedWeights opened(Optional<PackedWeights> p) {
        assertThat(p).as("MKL's packed entry points in DJL's libtorch_cpu, anonymous memory").isPresent();
        opened.add(p.orElseThrow());
        return p.orElseThrow();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 8})
    void productsEqualLibtorchsLinearToRounding(int rows) {
        try (NDManager generation = manager.newSubManager()) {
            PackedWeights p = packed(generation, 8);
            NDArray x2 = generation.randomNormal(new Shape(rows, IN));
            NDArray x3 = generation.randomNormal(new Shape(rows, 1, IN));
            assertClose(p.linear(x2, weight, bias).orElseThrow(), Linear.linear(x2, weight, bias).head());
            assertClose(p.linear(x3, weight, null).orElseThrow(), Linear.linear(x3, weight).head());
            assertClose(p.linear(x3, weight, bias).orElseThrow(), Linear.linear(x3, weight, bias).head());
        }
    }

    @Test
    void aNonContiguousInputGivesTheSameProduct() {
        try (NDManager generation = manager.newSubManager()) {
            PackedWeights p = packed(generation, 4);
            NDArray x = generation.randomNormal(new Shape(IN, 4)).transpose();
            assertClose(p.linear(x, weight, bias).orElseThrow(), Linear.linear(x, weight, bias).head());
        }
    }

    @Test
    void declinesProductsItWasNotMadeFor() {
        try (NDManager generation = manager.newSubManager()) {
            PackedWeights p = packed(generation, 4);
            assertThat(p.linear(generation.randomNormal(new Shape(5, IN)), weight, bias)).as("more rows").isEmpty();
            assertThat(p.linear(generation.randomNormal(new Shape(2, IN)).toType(DataType.FLOAT64, false),
                    weight.toType(DataType.FLOAT64, false), null)).as("float64").isEmpty();
            assertThat(p.linear(generation.randomNormal(new Shape(2, IN + 1)), weight, bias)).as("wrong width")
                    .isEmpty();
        }
        assertThatThrownBy(() -> PackedWeights.forRows(manager, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 1 row, got 0");
    }

    @Test
    void weightsPastTheBudgetKeepLibtorchsProducts() {
        try (NDManager generation = manager.newSubManager()) {
            NDArray x = generation.randomNormal(new Shape(2, IN));
            long oneCopy = PackedWeights.packedSize(2, OUT, IN);
            assertThat(oneCopy).isGreaterThanOrEqualTo((long) OUT * IN * Float.BYTES);
            PackedWeights p = opened(PackedWeights.forRows(generation, 2, oneCopy + oneCopy / 2));
            assertClose(p.linear(x, weight, null).orElseThrow(), Linear.linear(x, weight).head());
            NDArray second = generation.randomNormal(new Shape(OUT, IN));
            assertThat(p.linear(x, second, null)).as("a second weight of the same size is past the budget").isEmpty();
            assertThat(p.linear(x, weight, null)).as("the first stays packed").isPresent();
            assertThat(opened(PackedWeights.forRows(generation, 2, oneCopy - 1)).linear(x, weight, null))
                    .as("a budget smaller than one copy").isEmpty();
        }
    }

    @Test
    void aWeightIsPackedOnceAndNewPackedWeightsSeeItsCurrentValues() {
        try (NDManager generation = manager.newSubManager()) {
            PackedWeights p = packed(generation, 2);
            NDArray x = generation.randomNormal(new Shape(2, IN));
            float[] before = p.linear(x, weight, null).orElseThrow().toFloatArray();
            NDArray original = weight.duplicate();
            weight.muli(-1);
            assertThat(p.linear(x, weight, null).orElseThrow().toFloatArray())
                    .as("packed when first used: a generation sees the weights of its start").containsExactly(before);
            try (NDManager next = manager.newSubManager()) {
                assertClose(packed(next, 2).linear(x, weight, null).orElseThrow(), Linear.linear(x, weight).head());
            }
            weight.set(original.toFloatArray());
        }
    }

    @Test
    void aClosedOneDeclinesEveryProduct() {
        try (NDManager generation = manager.newSubManager()) {
            PackedWeights p = packed(generation, 2);
            NDArray x = generation.randomNormal(new Shape(2, IN));
            assertThat(p.linear(x, weight, bias)).isPresent();
            p.close();
            assertThat(p.linear(x, weight, bias)).isEmpty();
            p.close();
        }
    }

    private static void assertClose(NDArray actual, NDArray expected) {
        assertThat(actual.getShape()).isEqualTo(expected.getShape());
        float[] a = actual.toFloatArray();
        float[] e = expected.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            assertThat(a[i]).as("element %d", i).isCloseTo(e[i], within(1e-4f * Math.max(1f, Math.abs(e[i]))));
        }
    }
}
