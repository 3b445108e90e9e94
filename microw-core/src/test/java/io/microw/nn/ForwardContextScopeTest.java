package io.microw.nn;

import io.microw.nn.internal.ForwardContext;
import io.microw.nn.internal.HookRunner;
import io.microw.nn.internal.ForwardStopped;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A forward frees the tensors of the modules no hook observes when they return, and only those. */
class ForwardContextScopeTest {

    /** inner(x) = 3x + x, through a temporary 3x. */
    static final class Inner extends Module {
        final List<NDArray> temporaries = new ArrayList<>();

        Inner(String name) {
            super(name);
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray x = inputs.head();
            NDArray triple = x.mul(3);
            temporaries.add(triple);
            return new NDList(triple.add(x));
        }
    }

    /** outer(x) = 2 (inner(x) + 1), with a hook point on inner's output. */
    static final class Outer extends Module {
        final Inner inner;
        final HookPoint hook;
        final List<NDArray> temporaries = new ArrayList<>();

        Outer() {
            super("outer");
            inner = add(new Inner(child("inner")));
            hook = add(new HookPoint(child("hook")));
        }

        @Override
        protected NDList forward(ForwardContext ctx, NDList inputs) {
            NDArray y = hook.call(ctx, inner.call(ctx, inputs.head()));
            NDArray plusOne = y.add(1);
            temporaries.add(y);
            temporaries.add(plusOne);
            return new NDList(plusOne.mul(2));
        }
    }

    /** Runs no hooks but says it observes the named modules. */
    private static HookRunner observing(Set<String> names) {
        return new HookRunner() {
            @Override
            public boolean observesWithin(Module module) {
                return names.stream().anyMatch(n -> n.equals(module.name()) || n.startsWith(module.name() + "."));
            }

            @Override
            public NDList beforeForward(Module module, NDList inputs, ForwardContext ctx) {
                return inputs;
            }

            @Override
            public NDList afterForward(Module module, NDList inputs, NDList outputs, ForwardContext ctx) {
                return outputs;
            }
        };
    }

    private static ForwardContext context(NDManager work, HookRunner hooks, String stopAfter) {
        NDArray ids = work.zeros(new ai.djl.ndarray.types.Shape(1, 1), ai.djl.ndarray.types.DataType.INT64);
        ForwardBatch batch = new ForwardBatch(ids, ids, ids, List.of(), null, 0, -1);
        return new ForwardContext(work, batch, hooks, null, stopAfter);
    }

    @Test
    void withoutHooksEveryTemporaryIsFreedWhenItsModuleReturns() {
        Outer outer = new Outer();
        try (NDManager work = NDManager.newBaseManager()) {
            NDArray x = work.create(new float[] {1f, 2f});
            NDArray out = outer.call(context(work, HookRunner.NONE, null), x);
            assertThat(out.toFloatArray()).containsExactly(10f, 18f);
            assertThat(out.getManager()).isSameAs(work);
            assertThat(x.isReleased()).isFalse();
            assertThat(x.getManager()).as("the input is given back").isSameAs(work);
            assertThat(outer.inner.temporaries).allMatch(NDArray::isReleased);
            assertThat(outer.temporaries).as("inner's output and outer's temporary").allMatch(NDArray::isReleased);
        }
    }

    @Test
    void aHookOnAModuleKeepsEverythingAroundIt() {
        Outer outer = new Outer();
        try (NDManager work = NDManager.newBaseManager()) {
            NDArray out = outer.call(context(work, observing(Set.of("outer.hook")), null),
                    work.create(new float[] {1f, 2f}));
            assertThat(out.toFloatArray()).containsExactly(10f, 18f);
            assertThat(outer.temporaries).as("outer is observed: its tensors live for the forward")
                    .noneMatch(NDArray::isReleased);
            assertThat(outer.inner.temporaries).as("inner is not observed").allMatch(NDArray::isReleased);
            assertThat(outer.temporaries.get(0).toFloatArray()).as("inner's output, seen by the hook point")
                    .containsExactly(4f, 8f);
        }
    }

    @Test
    void aHookBelowAModuleKeepsThatModulesTensors() {
        Outer outer = new Outer();
        try (NDManager work = NDManager.newBaseManager()) {
            outer.call(context(work, observing(Set.of("outer.inner")), null), work.create(new float[] {1f, 2f}));
            assertThat(outer.inner.temporaries).noneMatch(NDArray::isReleased);
            assertThat(outer.temporaries).noneMatch(NDArray::isReleased);
        }
    }

    @Test
    void aForwardThatStopsInsideAModuleKeepsItsTensors() {
        Outer outer = new Outer();
        try (NDManager work = NDManager.newBaseManager()) {
            ForwardContext ctx = context(work, HookRunner.NONE, "outer.inner");
            assertThatThrownBy(() -> outer.call(ctx, work.create(new float[] {1f, 2f})))
                    .isInstanceOfSatisfying(ForwardStopped.class,
                            s -> assertThat(s.outputs().head().toFloatArray()).containsExactly(4f, 8f));
            assertThat(outer.inner.temporaries).noneMatch(NDArray::isReleased);
        }
    }

    @Test
    void aModulesOwnHooksRunOutsideItsScope() {
        Outer outer = new Outer();
        List<NDArray> seen = new ArrayList<>();
        HookRunner onInner = new HookRunner() {
            @Override
            public boolean observesWithin(Module module) {
                return module.name().equals("outer");
            }

            @Override
            public NDList beforeForward(Module module, NDList inputs, ForwardContext ctx) {
                return inputs;
            }

            @Override
            public NDList afterForward(Module module, NDList inputs, NDList outputs, ForwardContext ctx) {
                if (module.name().equals("outer.inner")) {
                    seen.add(inputs.head());
                    seen.add(outputs.head());
                    seen.add(outputs.head().mul(10));
                }
                return outputs;
            }
        };
        try (NDManager work = NDManager.newBaseManager()) {
            NDArray out = outer.call(context(work, onInner, null), work.create(new float[] {1f, 2f}));
            assertThat(out.toFloatArray()).containsExactly(10f, 18f);
            assertThat(outer.inner.temporaries).as("inner itself is hooked, nothing below it").allMatch(NDArray::isReleased);
            assertThat(seen).as("what the hook saw and made outlives inner's scope").noneMatch(NDArray::isReleased);
            assertThat(seen.get(0).toFloatArray()).containsExactly(1f, 2f);
            assertThat(seen.get(1).toFloatArray()).containsExactly(4f, 8f);
            assertThat(seen.get(2).toFloatArray()).containsExactly(40f, 80f);
        }
    }
}
