package io.microw.hooks;

import ai.djl.ndarray.NDArray;

import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Applies a function to a layer's output (or, as a PRE_FORWARD controller, to its first input), e.g.
 * {@code new FunctionController("layer_0", x -> x.mul(1.5))}. The function gets the controller's own copy.
 */
public class FunctionController extends BaseHook implements Controller {

    private final UnaryOperator<NDArray> function;

    /**
     * Changes the output of {@code layer}.
     *
     * @param layer    the layer's name or alias
     * @param function maps the output to its replacement ({@code null} keeps it)
     */
    public FunctionController(String layer, UnaryOperator<NDArray> function) {
        this(layer, HookType.FORWARD, function);
    }

    /**
     * Changes the output (FORWARD) or the first input (PRE_FORWARD) of {@code layer}.
     *
     * @param layer    the layer's name or alias
     * @param hookType FORWARD to change the output, PRE_FORWARD to change the first input
     * @param function maps the tensor to its replacement ({@code null} keeps it)
     */
    public FunctionController(String layer, HookType hookType, UnaryOperator<NDArray> function) {
        super(hookType, layer);
        this.function = Objects.requireNonNull(function, "function");
    }

    @Override
    public NDArray modifyActivations(HookCall call) {
        return function.apply(call.activations());
    }
}
