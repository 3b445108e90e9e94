package io.microw.steering;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.microw.hooks.BaseHook;
import io.microw.hooks.Controller;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;
import io.microw.nn.ForwardBatch;

/**
 * Adds {@code coefficient × vector} to a layer's output at the positions of a {@link PositionScope}; every other
 * position (padding always) is returned bit for bit unchanged. Made by {@link SteeringVector#controller}.
 */
public final class SteeringController extends BaseHook implements Controller {

    private final SteeringVector vector;
    private final double coefficient;
    private final PositionScope scope;

    SteeringController(SteeringVector vector, double coefficient, PositionScope scope) {
        super(HookType.FORWARD, vector.layer());
        this.vector = vector;
        this.coefficient = coefficient;
        this.scope = scope;
    }

    /**
     * The vector this controller adds.
     *
     * @return the steering vector
     */
    public SteeringVector vector() {
        return vector;
    }

    /**
     * The factor the vector is multiplied by before it is added.
     *
     * @return the coefficient
     */
    public double coefficient() {
        return coefficient;
    }

    /**
     * The positions the controller edits.
     *
     * @return the position scope
     */
    public PositionScope scope() {
        return scope;
    }

    @Override
    public NDArray modifyActivations(HookCall call) {
        NDArray x = call.activations();
        if (x == null || coefficient == 0) {
            return null;
        }
        Shape shape = x.getShape();
        long width = shape.dimension() == 0 ? 0 : shape.get(shape.dimension() - 1);
        if (width != vector.dimension()) {
            throw new SteeringException("steering vector for layer '" + vector.layer() + "' has length "
                    + vector.dimension() + " but layer '" + call.layer() + "' produces width " + width
                    + " (activations " + shape + ")");
        }
        ForwardBatch batch = call.batch();
        if (batch == null) {
            throw new SteeringException("hook call on layer '" + call.layer() + "' carries no batch: cannot tell "
                    + "which positions to steer");
        }
        if (shape.dimension() != 3 || shape.get(0) != batch.batchSize() || shape.get(1) != batch.seqLength()) {
            throw new SteeringException("layer '" + call.layer() + "' produces activations of shape " + shape
                    + "; steering needs [batch=" + batch.batchSize() + ", seq=" + batch.seqLength() + ", "
                    + vector.dimension() + "]");
        }
        if (!scope.mayApply(batch)) {
            return null;
        }
        NDArray mask = scope.mask(call).reshape(batch.batchSize(), batch.seqLength(), 1).toType(x.getDataType(), false);
        float[] scaled = vector.values();
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] = (float) (coefficient * scaled[i]);
        }
        NDArray delta = call.manager().create(scaled).toDevice(x.getDevice(), false).toType(x.getDataType(), false);
        return x.add(mask.mul(delta));
    }

    @Override
    public String toString() {
        return "SteeringController[" + id() + " on " + vector.layer() + ", coefficient " + coefficient + ", scope "
                + scope + "]";
    }
}
