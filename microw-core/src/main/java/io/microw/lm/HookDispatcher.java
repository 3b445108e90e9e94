package io.microw.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.microw.hooks.Controller;
import io.microw.hooks.Detector;
import io.microw.hooks.Hook;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookException;
import io.microw.hooks.HookType;
import io.microw.nn.Autograd;
import io.microw.nn.internal.ForwardContext;
import io.microw.nn.internal.ForwardStopped;
import io.microw.nn.internal.HookRunner;
import io.microw.nn.Module;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs the hooks of one forward, from a snapshot of the registry taken when the forward started, followed on each
 * layer by that forward's own per-call hooks ({@link Interventions}). Detectors see the module's tensors;
 * controllers see a private copy and return a replacement of the same shape.
 */
final class HookDispatcher implements HookRunner {

    private final Map<String, List<HookRegistration>> byLayer;
    private final boolean withControllers;

    HookDispatcher(Map<String, List<HookRegistration>> byLayer, boolean withControllers) {
        this.byLayer = byLayer;
        this.withControllers = withControllers;
    }

    @Override
    public NDList beforeForward(Module module, NDList inputs, ForwardContext ctx) {
        return run(module, HookType.PRE_FORWARD, inputs, inputs, ctx);
    }

    @Override
    public NDList afterForward(Module module, NDList inputs, NDList outputs, ForwardContext ctx) {
        return run(module, HookType.FORWARD, outputs, inputs, ctx);
    }

    @Override
    public boolean observesWithin(Module module) {
        String below = module.name().isEmpty() ? "" : module.name() + ".";
        for (String layer : byLayer.keySet()) {
            if (layer.length() > below.length() && layer.startsWith(below)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public NDList insteadOfForward(Module module, NDList inputs, ForwardContext ctx) {
        List<HookRegistration> registrations = byLayer.get(module.name());
        if (registrations != null) {
            for (HookRegistration reg : registrations) {
                if (reg.hook() instanceof ForwardReplacement r && r.isEnabled()) {
                    return new NDList(r.output(module, inputs.head(), ctx));
                }
            }
        }
        return null;
    }

    /** Runs the hooks of one type on a module; {@code target} is the list whose head controllers replace. */
    private NDList run(Module module, HookType type, NDList target, NDList inputs, ForwardContext ctx) {
        List<HookRegistration> registrations = byLayer.get(module.name());
        if (registrations == null) {
            return target;
        }
        NDList current = target;
        for (HookRegistration reg : registrations) {
            Hook hook = reg.hook();
            if (hook.hookType() != type || !hook.isEnabled()) {
                continue;
            }
            NDList in = type == HookType.PRE_FORWARD ? current : inputs;
            NDList out = type == HookType.FORWARD ? current : null;
            if (hook instanceof Detector) {
                HookCall call = new ModelHookCall(reg.layer(), type, module, in, out, ctx.batch(), ctx.manager());
                guarded(reg, () -> {
                    ((Detector) hook).processActivations(call);
                    return null;
                });
            }
            if (hook instanceof Controller && withControllers) {
                current = control((Controller) hook, reg, type, module, in, current, ctx);
            }
        }
        return current;
    }

    /** Runs user code of a hook; whatever it throws becomes a {@link HookException} naming hook and layer. */
    static <T> T guarded(HookRegistration reg, Supplier<T> hookCode) {
        try {
            return hookCode.get();
        } catch (ForwardStopped e) {
            throw e;
        } catch (RuntimeException e) {
            Hook hook = reg.hook();
            throw new HookException("hook '" + hook.id() + "' (" + hook.getClass().getSimpleName() + ") on layer '"
                    + reg.layer() + "' failed during " + hook.hookType() + ": " + e, e);
        }
    }

    private NDList control(Controller controller, HookRegistration reg, HookType type, Module module, NDList inputs,
                           NDList current, ForwardContext ctx) {
        String layer = reg.layer();
        NDArray original = current.head();
        NDList copied = withHead(current, copyOf(original));
        HookCall call = type == HookType.FORWARD
                ? new ModelHookCall(layer, type, module, inputs, copied, ctx.batch(), ctx.manager())
                : new ModelHookCall(layer, type, module, copied, null, ctx.batch(), ctx.manager());
        NDArray replacement = guarded(reg, () -> controller.modifyActivations(call));
        if (replacement == null) {
            return current;
        }
        if (!replacement.getShape().equals(original.getShape())) {
            throw new HookException("controller '" + controller.id() + "' on layer '" + layer + "' returned shape "
                    + replacement.getShape() + " but the tensor it replaces has shape " + original.getShape());
        }
        if (replacement.getDataType() != DataType.FLOAT32 && original.getDataType() == DataType.FLOAT32) {
            replacement = replacement.toType(DataType.FLOAT32, false);
        }
        if (replacement.getManager() != ctx.manager()) {
            NDArray owned = copyOf(replacement);
            owned.attach(ctx.manager());
            replacement = owned;
        }
        return withHead(current, replacement);
    }

    /**
     * A private copy of a tensor. During a gradient run ({@link Gradients}) it is copied by an operation autograd
     * follows, since {@code duplicate} would detach it and cut the gradient's path.
     */
    private static NDArray copyOf(NDArray x) {
        return Autograd.recording() ? Autograd.times(x, 1f) : x.duplicate();
    }

    private static NDList withHead(NDList list, NDArray head) {
        NDList out = new NDList(list.size());
        out.add(head);
        for (int i = 1; i < list.size(); i++) {
            out.add(list.get(i));
        }
        return out;
    }
}
