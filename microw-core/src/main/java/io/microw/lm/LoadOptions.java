package io.microw.lm;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

import java.util.Objects;
import java.util.Set;

/**
 * Where and in what precision {@link LanguageModel#load(java.nio.file.Path, LoadOptions)} puts a model's weights:
 * a DJL {@link Device} (default CPU; {@code Device.gpu()} needs DJL's CUDA build of PyTorch, see
 * {@link LanguageModel}) and a dtype (default float32; float16 only on a GPU, since microw computes in float32 on
 * the CPU). bfloat16 is refused: DJL 0.36's PyTorch engine aborts the whole JVM when it creates or converts a
 * bfloat16 array (bfloat16 checkpoints load fine, widened to float32). Immutable; each {@code with...} returns a
 * changed copy.
 */
public final class LoadOptions {

    private static final Set<DataType> DTYPES = Set.of(DataType.FLOAT32, DataType.FLOAT16);
    private static final LoadOptions DEFAULTS = new LoadOptions(Device.cpu(), DataType.FLOAT32);

    private final Device device;
    private final DataType dtype;

    private LoadOptions(Device device, DataType dtype) {
        this.device = device;
        this.dtype = dtype;
    }

    /**
     * CPU, float32.
     *
     * @return the default options
     */
    public static LoadOptions defaults() {
        return DEFAULTS;
    }

    /**
     * The device the weights live on and the forward runs on.
     *
     * @return the device
     */
    public Device device() {
        return device;
    }

    /**
     * The precision of the weights.
     *
     * @return the data type
     */
    public DataType dtype() {
        return dtype;
    }

    /**
     * These options with another device for the weights and the forward.
     *
     * @param value the device
     * @return the changed copy
     */
    public LoadOptions withDevice(Device value) {
        return new LoadOptions(Objects.requireNonNull(value, "device"), dtype);
    }

    /**
     * float32 or float16 (float16 needs a GPU device; checked when the model loads).
     *
     * @param value float32 or float16
     * @return the changed copy
     */
    public LoadOptions withDtype(DataType value) {
        Objects.requireNonNull(value, "dtype");
        if (value == DataType.BFLOAT16) {
            throw new IllegalArgumentException("dtype bfloat16 is not supported: DJL's PyTorch engine (0.36) aborts the"
                    + " JVM when it creates or converts bfloat16 arrays; use float16 on a GPU, or float32");
        }
        if (!DTYPES.contains(value)) {
            throw new IllegalArgumentException("dtype " + value + " is not supported for weights; use float32, or"
                    + " float16 on a GPU");
        }
        return new LoadOptions(device, value);
    }

    /** Checks the combination: float16 needs a GPU device. */
    void validate() {
        if (dtype != DataType.FLOAT32 && !device.isGpu()) {
            throw new IllegalArgumentException("dtype " + dtype + " was asked for on device " + device + ", but on"
                    + " the CPU microw computes in float32 only; use float32 there, or a GPU device"
                    + " (LoadOptions.withDevice(Device.gpu())) for float16");
        }
    }

    @Override
    public String toString() {
        return "LoadOptions{device=" + device + ", dtype=" + dtype + "}";
    }
}
