package io.microw.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

/**
 * A hidden command of the tests only (a {@link CommandPlugin} registered in the test resources): makes libtorch print
 * its {@code AutoNonVariableTypeMode is deprecated} warning from native code (DJL's {@code NDArray.set(Buffer)} runs
 * under that deprecated guard, as {@code Sae.setParameter} does at the end of a training), then fails with an ordinary
 * error, which must still show.
 */
@Command(name = "engine-warning", hidden = true)
public final class EngineWarningCommand implements Callable<Integer>, CommandPlugin {

    /** The error this command ends with. */
    static final String ERROR = "the engine-warning test command ends here";

    @Override
    public Object command() {
        return new EngineWarningCommand();
    }

    @Override
    public Integer call() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray x = manager.zeros(new Shape(2));
            x.set(new float[] {1, 2});
            if (x.getFloat(1) != 2) {
                throw new IllegalStateException("set did not write: " + x);
            }
        }
        throw new IllegalStateException(ERROR);
    }
}
