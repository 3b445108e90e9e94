package io.microw.sae;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.microw.io.hub.PretrainedOptions;
import io.microw.nn.Autograd;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A sparse autoencoder: {@code codes = activation((x·s − b_dec) W_enc + b_enc)},
 * {@code reconstruction = (codes W_dec + b_dec) / s}, where {@code s} is the optional input scale
 * (1 unless trained with input normalisation) and the {@code b_dec} subtraction can be turned off
 * ({@link SaeConfig#applyBDecToInput()}).
 *
 * <p>Parameters use SAELens' names and layouts: {@code W_enc [d_in, d_sae]}, {@code b_enc [d_sae]},
 * {@code W_dec [d_sae, d_in]}, {@code b_dec [d_in]}, plus {@code threshold} (JumpReLU, BatchTopK) and
 * {@code b_gate}, {@code b_mag}, {@code r_mag} (Gated). They live in the SAE's own NDManager, released by
 * {@link #close()}; {@code encode}, {@code decode} and {@code forward} put their results in the input's
 * manager. Subclasses define {@link #encodeRows}.
 *
 * <p>Device: a new SAE lives on the CPU, as a model does by default; {@link #to(Device)} moves it to its model's
 * device ({@link #device()}). Its inputs must be on the same device; helpers that make arrays for an SAE make them
 * in {@link #newManager()}.
 *
 * <p>An SAE is pure math: it knows no model, hook or concept. To run one on a layer of a model (record its latents,
 * track top texts, steer with latent edits) wrap it in {@code io.microw.concepts.SaeHook}. An SAE is safe to use
 * from several threads for inference; changing parameters is not.
 */
public abstract class Sae implements AutoCloseable {

    private volatile SaeConfig config;
    private volatile PretrainedSaeInfo pretrained;
    private volatile NDManager manager;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();
    private float inputScale = 1f;

    /**
     * Builds an SAE with the given parameters (each checked against the shape the config implies).
     *
     * @param config the architecture and sizes
     * @param values the values by SAELens parameter name, row-major
     */
    protected Sae(SaeConfig config, Map<String, float[]> values) {
        this.config = Objects.requireNonNull(config, "config");
        this.manager = NDManager.newBaseManager(Device.cpu());
        try {
            for (Map.Entry<String, long[]> e : expectedShapes().entrySet()) {
                float[] data = values.get(e.getKey());
                if (data == null) {
                    throw new SaeException(config.architecture().saeLensName() + " SAE needs parameter '"
                            + e.getKey() + "' " + Arrays.toString(e.getValue()) + " but it is missing (have "
                            + values.keySet() + ")");
                }
                parameters.put(e.getKey(),
                        manager.create(checkedData(e.getKey(), e.getValue(), data), new Shape(e.getValue())));
            }
        } catch (RuntimeException e) {
            manager.close(); // a bad parameter must not leak the ones already created
            throw e;
        }
    }

    /**
     * Builds an SAE from a config and parameters, choosing the class by architecture.
     *
     * @param config the architecture and sizes
     * @param values the values by SAELens parameter name, row-major
     * @return the SAE
     */
    public static Sae fromParameters(SaeConfig config, Map<String, float[]> values) {
        return config.architecture().create(config, values);
    }

    /**
     * Loads an SAE from a folder or file in any format of {@link SaeFormats#ALL} (SAELens, Gemma Scope, Llama
     * Scope, EleutherAI sparsify, dictionary_learning), detected from its file names.
     *
     * @param dir the SAE's folder (or its single file, such as {@code params.npz} or {@code ae.pt})
     * @return the SAE, of the class its architecture needs
     */
    public static Sae load(Path dir) {
        return SaeFormats.load(dir);
    }

    /**
     * Loads a published SAE by release and id, as SAELens' {@code SAE.from_pretrained(release, sae_id)}: resolved in
     * {@link PretrainedSaes#defaults()} (SAELens' {@code pretrained_saes.yaml} and the embedded releases), its files
     * downloaded into the Hugging Face cache (Hub settings from the environment), then read by {@link #load}.
     *
     * @param release the release, e.g. {@code gemma-scope-2b-pt-res}
     * @param saeId   the SAE's id in the release, e.g. {@code layer_12/width_16k/average_l0_82}
     * @return the SAE, with {@link #pretrained()} set
     */
    public static Sae fromPretrained(String release, String saeId) {
        return fromPretrained(release, saeId, PretrainedOptions.defaults());
    }

    /**
     * {@link #fromPretrained(String, String)} with Hub settings: cache, offline, progress, token, endpoint, revision.
     *
     * @param release the release
     * @param saeId   the SAE's id in the release
     * @param options the Hub settings
     * @return the SAE, with {@link #pretrained()} set
     */
    public static Sae fromPretrained(String release, String saeId, PretrainedOptions options) {
        return PretrainedSaes.defaults().load(release, saeId, options);
    }

    /**
     * Where this SAE comes from and what it was trained on, when it was loaded by release.
     *
     * @return the registry metadata, or empty for an SAE not loaded by {@link #fromPretrained}
     */
    public Optional<PretrainedSaeInfo> pretrained() {
        return Optional.ofNullable(pretrained);
    }

    /** Records registry metadata: a config that differs from the current one only in provenance, and the info. */
    void describePretrained(SaeConfig described, PretrainedSaeInfo info) {
        SaeConfig c = config;
        if (described.architecture() != c.architecture() || described.dIn() != c.dIn() || described.dSae() != c.dSae()
                || described.k() != c.k() || described.applyBDecToInput() != c.applyBDecToInput()) {
            throw new IllegalArgumentException("registry metadata may not change the SAE's architecture or sizes: "
                    + c + " -> " + described);
        }
        config = described;
        pretrained = info;
    }

    /**
     * Saves this SAE in SAELens' format (input scale folded into the written weights); see {@link SaeLensFormat}.
     *
     * @param dir the folder to write, created if needed
     */
    public void save(Path dir) {
        SaeLensFormat.write(this, dir);
    }

    /**
     * A freshly initialised SAE of the config's architecture (see {@link SaeInit}).
     *
     * @param config the architecture and sizes
     * @param seed the initialisation seed
     * @return the SAE
     */
    public static Sae create(SaeConfig config, long seed) {
        return fromParameters(config, SaeInit.initialParameters(config, seed, 1.0));
    }

    /**
     * The parameter names and shapes this architecture needs ({@link SaeArchitecture#parameterShapes}).
     *
     * @return the shapes by parameter name
     */
    protected Map<String, long[]> expectedShapes() {
        return config.architecture().parameterShapes(config);
    }

    /**
     * The device this SAE's parameters live on (the CPU unless moved by {@link #to(Device)}).
     *
     * @return the device
     */
    public Device device() {
        return manager.getDevice();
    }

    /**
     * Moves this SAE's parameters to {@code device}, in place: it does not copy the SAE, it returns this one. The
     * parameters are copied to the device and the old ones freed, so arrays from an earlier {@link #newManager()}
     * are freed too; do not call it while the SAE is in use. Nothing happens when the SAE is on that device already.
     *
     * @param device the device, usually the model's ({@code lm.device()})
     * @return this SAE
     */
    public synchronized Sae to(Device device) {
        Objects.requireNonNull(device, "device");
        NDManager old = manager;
        if (device.equals(old.getDevice())) {
            return this;
        }
        NDManager moved = NDManager.newBaseManager(device);
        try {
            Map<String, NDArray> copies = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
                NDArray copy = e.getValue().toDevice(device, true);
                copy.attach(moved);
                copies.put(e.getKey(), copy);
            }
            parameters.putAll(copies);
            manager = moved;
        } catch (RuntimeException e) {
            moved.close();
            throw e;
        }
        old.close();
        return this;
    }

    /**
     * Throws a clear error unless this SAE is on {@code device}, the device of the model whose activations it will
     * read.
     *
     * @param device the model's device
     */
    public void requireDevice(Device device) {
        if (!device().equals(device)) {
            throw new SaeException("the SAE is on device " + device() + " but the model runs on " + device
                    + "; move it first with sae.to(lm.device())");
        }
    }

    /**
     * A new manager for the temporary arrays of work with this SAE: on its device, a child of the SAE's own manager
     * (closing the SAE closes it). Close it when done.
     *
     * @return the manager
     */
    public NDManager newManager() {
        return manager.newSubManager();
    }

    /**
     * The architecture, sizes and provenance of this SAE.
     *
     * @return the config
     */
    public SaeConfig config() {
        return config;
    }

    /**
     * The activation rule, as {@code config().architecture()}.
     *
     * @return the architecture
     */
    public SaeArchitecture architecture() {
        return config.architecture();
    }

    /**
     * Input width d_in, the layer's hidden size (SAELens' name, the one microw's API uses).
     *
     * @return the input width
     */
    public int dIn() {
        return config.dIn();
    }

    /**
     * Number of latents d_sae (SAELens' name, the one microw's API uses).
     *
     * @return the number of latents
     */
    public int dSae() {
        return config.dSae();
    }

    /**
     * mi-crow's name for {@link #dIn()}, kept for code ported from mi-crow ({@code n_inputs}).
     *
     * @return the input width
     */
    public int nInputs() {
        return dIn();
    }

    /**
     * mi-crow's name for {@link #dSae()}, kept for code ported from mi-crow ({@code n_latents}).
     *
     * @return the number of latents
     */
    public int nLatents() {
        return dSae();
    }

    /**
     * The input scale {@code s} (1 when inputs are not normalised).
     *
     * @return the input scale
     */
    public float inputScale() {
        return inputScale;
    }

    /**
     * Sets the input scale {@code s}: inputs are multiplied by it before encoding, outputs divided after.
     *
     * @param scale the scale, finite and positive
     */
    public void setInputScale(float scale) {
        if (!(scale > 0) || Float.isInfinite(scale)) {
            throw new SaeException("input scale must be a positive finite number, got " + scale);
        }
        this.inputScale = scale;
    }

    /**
     * Folds the input scale into the weights ({@code W_enc·s}, {@code W_dec/s}, {@code b_dec/s}) and resets it
     * to 1; the SAE computes the same function on unscaled inputs, as SAELens' files expect.
     */
    public void foldInputScale() {
        if (inputScale == 1f) {
            return;
        }
        float s = inputScale;
        // On heap copies: NDArray temporaries here would stay in the SAE's manager until close().
        float[] wEnc = parameter("W_enc");
        float[] wDec = parameter("W_dec");
        float[] bDec = parameter("b_dec");
        for (int i = 0; i < wEnc.length; i++) {
            wEnc[i] *= s;
        }
        for (int i = 0; i < wDec.length; i++) {
            wDec[i] /= s;
        }
        for (int i = 0; i < bDec.length; i++) {
            bDec[i] /= s;
        }
        setParameter("W_enc", wEnc);
        setParameter("W_dec", wDec);
        setParameter("b_dec", bDec);
        inputScale = 1f;
    }

    /**
     * Names of the parameters, in SAELens' order.
     *
     * @return the names
     */
    public Set<String> parameterNames() {
        return parameters.keySet();
    }

    /**
     * A copy of a parameter's values (row-major).
     *
     * @param name the parameter's SAELens name
     * @return a copy of the values
     */
    public float[] parameter(String name) {
        return parameterArray(name).toFloatArray();
    }

    /**
     * A parameter's shape.
     *
     * @param name the parameter's SAELens name
     * @return the shape
     */
    public long[] parameterShape(String name) {
        return parameterArray(name).getShape().getShape();
    }

    /**
     * Replaces a parameter's values; the length must match its shape.
     *
     * @param name the parameter's SAELens name
     * @param values the new values, row-major
     */
    public void setParameter(String name, float[] values) {
        NDArray old = parameterArray(name);
        float[] data = checkedData(name, old.getShape().getShape(), values);
        old.set(data);
    }

    /**
     * The parameter as an NDArray owned by this SAE (do not close it).
     *
     * @param name the parameter's SAELens name
     * @return the parameter
     */
    protected NDArray parameterArray(String name) {
        NDArray p = parameters.get(name);
        if (p == null) {
            throw new SaeException("no parameter '" + name + "' in this " + architecture().saeLensName()
                    + " SAE; it has " + parameters.keySet());
        }
        return p;
    }

    /**
     * Throws a clear error unless a layer of the given width can feed this SAE.
     *
     * @param width the layer's output width
     * @param layer the layer's name, for the message
     */
    public void checkInputWidth(long width, String layer) {
        if (width != config.dIn()) {
            throw new SaeException("SAE expects inputs of width d_in=" + config.dIn() + " but layer '" + layer
                    + "' produces width " + width);
        }
    }

    /**
     * Latent codes for inputs of shape [..., d_in]; the result has shape [..., d_sae].
     *
     * @param x the inputs, [..., d_in]
     * @return the codes, [..., d_sae]
     */
    public NDArray encode(NDArray x) {
        Shape shape = checkInput(x);
        NDArray codes = encodeRows(x.reshape(-1, config.dIn()));
        return codes.reshape(shape.slice(0, shape.dimension() - 1).add(config.dSae()));
    }

    /**
     * Reconstruction for codes of shape [..., d_sae]; the result has shape [..., d_in].
     *
     * @param codes the codes, [..., d_sae]
     * @return the reconstruction, [..., d_in]
     */
    public NDArray decode(NDArray codes) {
        Shape shape = codes.getShape();
        if (shape.dimension() == 0 || shape.get(shape.dimension() - 1) != config.dSae()) {
            throw new SaeException("decode expects codes of shape [..., " + config.dSae() + "], got " + shape);
        }
        NDArray flat = codes.reshape(-1, config.dSae()).toType(DataType.FLOAT32, false);
        NDArray out = flat.matMul(parameters.get("W_dec")).add(parameters.get("b_dec"));
        if (inputScale != 1f) {
            out = Autograd.over(out, inputScale);
        }
        return out.reshape(shape.slice(0, shape.dimension() - 1).add(config.dIn()));
    }

    /**
     * {@code codes W_dec / s}: the change in the output that a change of codes makes (no bias).
     *
     * @param codesDelta a change of the codes, [..., d_sae]
     * @return the change of the output, [..., d_in]
     */
    public NDArray decodeDirection(NDArray codesDelta) {
        Shape shape = codesDelta.getShape();
        NDArray out = codesDelta.reshape(-1, config.dSae()).toType(DataType.FLOAT32, false)
                .matMul(parameters.get("W_dec"));
        if (inputScale != 1f) {
            out = Autograd.over(out, inputScale);
        }
        return out.reshape(shape.slice(0, shape.dimension() - 1).add(config.dIn()));
    }

    /**
     * {@code decode(encode(x))}.
     *
     * @param x the inputs, [..., d_in]
     * @return the reconstruction, [..., d_in]
     */
    public NDArray forward(NDArray x) {
        return decode(encode(x));
    }

    /**
     * Codes for a [n, d_in] batch: the architecture's activation rule.
     *
     * @param x2d the inputs, [n, d_in]
     * @return the codes, [n, d_sae]
     */
    protected abstract NDArray encodeRows(NDArray x2d);

    /**
     * Pre-activations {@code (x·s − b_dec) W_enc + b_enc} for a [n, d_in] batch.
     *
     * @param x2d the inputs, [n, d_in]
     * @return the pre-activations, [n, d_sae]
     */
    protected NDArray preActivations(NDArray x2d) {
        return centredInput(x2d).matMul(parameters.get("W_enc")).add(parameters.get("b_enc"));
    }

    /**
     * {@code x·s − b_dec} (or {@code x·s} when the config says not to subtract it), in float32.
     *
     * @param x2d the inputs, [n, d_in]
     * @return the centred inputs
     */
    protected NDArray centredInput(NDArray x2d) {
        NDArray x = x2d.toType(DataType.FLOAT32, false);
        if (inputScale != 1f) {
            x = x.mul(inputScale);
        }
        return config.applyBDecToInput() ? x.sub(parameters.get("b_dec")) : x;
    }

    /**
     * Returns the config, or throws when it is not of the architecture a class implements.
     *
     * @param config the config to check
     * @param expected the architecture the class implements
     * @param className the class's name, for the message
     * @return the config
     */
    protected static SaeConfig requireArchitecture(SaeConfig config, SaeArchitecture expected, String className) {
        if (config.architecture() != expected) {
            throw new SaeException(className + " needs a " + expected.saeLensName() + " config, got "
                    + config.architecture().saeLensName());
        }
        return config;
    }

    private Shape checkInput(NDArray x) {
        Shape shape = x.getShape();
        if (shape.dimension() == 0 || shape.get(shape.dimension() - 1) != config.dIn()) {
            throw new SaeException("SAE expects inputs of shape [..., d_in=" + config.dIn() + "], got " + shape);
        }
        return shape;
    }

    private float[] checkedData(String name, long[] shape, float[] data) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (data.length != n) {
            throw new SaeException("parameter '" + name + "' should have shape " + Arrays.toString(shape) + " ("
                    + n + " values) but has " + data.length + " values");
        }
        for (int i = 0; i < data.length; i++) {
            if (!Float.isFinite(data[i])) {
                throw new SaeException("parameter '" + name + "' has a non-finite value " + data[i] + " at index " + i);
            }
        }
        return data;
    }

    @Override
    public void close() {
        manager.close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "(d_in=" + config.dIn() + ", d_sae=" + config.dSae()
                + (config.k() > 0 ? ", k=" + config.k() : "") + ")";
    }
}
