package io.microw.sae;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An SAE architecture, described once: its SAELens name and aliases, the parameters it needs and their shapes,
 * whether it keeps {@code k} latents per row, how it is initialised, whether and with which gradient step it
 * trains, how SAELens writes it, and which {@link Sae} class runs it.
 *
 * <p>Architectures are compared by identity: one instance each, listed by {@link SaeArchitectures}. The built-in ones
 * are the constants below (each defined next to its {@link Sae} class); others are added through
 * {@link java.util.ServiceLoader}: a subclass with a public no-argument constructor named in
 * {@code META-INF/services/io.microw.sae.SaeArchitecture}.
 */
public abstract class SaeArchitecture {

    /** ReLU SAE trained with an L1 penalty weighted by decoder row norms (SAELens "standard"). */
    public static final SaeArchitecture STANDARD = new ReluSae.Architecture();
    /** Keeps the k largest pre-activations of each row (SAELens "topk"). */
    public static final SaeArchitecture TOPK = new TopKSae.Architecture();
    /** Keeps the batch's {@code k * batch} largest pre-activations in training; a JumpReLU at inference. */
    public static final SaeArchitecture BATCH_TOPK = new BatchTopKSae.Architecture();
    /** ReLU gated by a learned per-latent threshold (SAELens "jumprelu"). */
    public static final SaeArchitecture JUMP_RELU = new JumpReluSae.Architecture();
    /** Separate gate and magnitude paths sharing the encoder directions (SAELens "gated"). */
    public static final SaeArchitecture GATED = new GatedSae.Architecture();

    /** Makes the {@link Sae} of an architecture from a config and parameters (usually its constructor). */
    @FunctionalInterface
    public interface Factory {
        /**
         * The SAE.
         *
         * @param config the config, of this architecture
         * @param values the values by SAELens parameter name, row-major
         * @return the SAE
         */
        Sae create(SaeConfig config, Map<String, float[]> values);
    }

    private final String saeLensName;
    private final List<String> aliases;
    private final Factory factory;
    private final Optional<TrainingRule> training;

    /**
     * An architecture microw can load and run but not train.
     *
     * @param saeLensName the name in SAELens' cfg.json "architecture", lower case
     * @param factory     makes its SAEs
     * @param aliases     other accepted names (matched ignoring case, '-' and '_')
     */
    protected SaeArchitecture(String saeLensName, Factory factory, String... aliases) {
        this(saeLensName, factory, Optional.empty(), aliases);
    }

    /**
     * An architecture trained with one of the trainer's gradient steps.
     *
     * @param saeLensName the name in SAELens' cfg.json "architecture", lower case
     * @param factory     makes its SAEs
     * @param training    the gradient step it trains with
     * @param aliases     other accepted names (matched ignoring case, '-' and '_')
     */
    protected SaeArchitecture(String saeLensName, Factory factory, TrainingRule training, String... aliases) {
        this(saeLensName, factory, Optional.of(training), aliases);
    }

    private SaeArchitecture(String saeLensName, Factory factory, Optional<TrainingRule> training, String... aliases) {
        if (saeLensName == null || saeLensName.isBlank()) {
            throw new SaeException("an SAE architecture needs a non-blank name, got '" + saeLensName + "'");
        }
        this.saeLensName = saeLensName;
        this.aliases = List.of(aliases);
        this.factory = Objects.requireNonNull(factory, "factory");
        this.training = training;
    }

    /**
     * The name in SAELens' cfg.json.
     *
     * @return the SAELens name
     */
    public final String saeLensName() {
        return saeLensName;
    }

    /**
     * Other names accepted for this architecture (the CLI's {@code --arch}, the API's "architecture").
     *
     * @return the aliases, possibly empty
     */
    public final List<String> aliases() {
        return aliases;
    }

    /**
     * Whether {@code name} names this architecture: its SAELens name or an alias, ignoring case, '-' and '_'.
     *
     * @param name the name to test
     * @return whether it matches
     */
    public final boolean isNamed(String name) {
        String key = normalised(name);
        return normalised(saeLensName).equals(key) || aliases.stream().anyMatch(a -> normalised(a).equals(key));
    }

    /**
     * Whether this architecture keeps {@code k} latents per row, so that its config needs {@code 1 <= k < d_sae}.
     *
     * @return whether it takes k
     */
    public boolean usesK() {
        return false;
    }

    /**
     * The parameter names and shapes an SAE of this config needs, in SAELens' names and order. The default is the
     * four every SAE has: {@code W_enc [d_in, d_sae]}, {@code b_enc [d_sae]}, {@code W_dec [d_sae, d_in]},
     * {@code b_dec [d_in]}.
     *
     * @param config the sizes
     * @return the shapes by parameter name
     */
    public Map<String, long[]> parameterShapes(SaeConfig config) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("W_enc", new long[] {config.dIn(), config.dSae()});
        shapes.put("b_enc", new long[] {config.dSae()});
        shapes.put("W_dec", new long[] {config.dSae(), config.dIn()});
        shapes.put("b_dec", new long[] {config.dIn()});
        return shapes;
    }

    /**
     * An SAE of this architecture with the given parameters.
     *
     * @param config the config, of this architecture
     * @param values the values by SAELens parameter name, row-major
     * @return the SAE
     */
    public final Sae create(SaeConfig config, Map<String, float[]> values) {
        return factory.create(config, values);
    }

    /**
     * Initial parameters: {@link SaeInit}'s decoder rows of norm {@code decoderNorm} and encoder set to their
     * transpose for {@code W_enc} and {@code W_dec}, zeros for every other parameter of
     * {@link #parameterShapes}. Architectures with other starting values override it.
     *
     * @param config      the sizes
     * @param seed        the initialisation seed
     * @param decoderNorm the norm of each decoder row
     * @return the parameters by SAELens name
     */
    public Map<String, float[]> initialParameters(SaeConfig config, long seed, double decoderNorm) {
        float[] wDec = SaeInit.decoderRows(config, seed, decoderNorm);
        Map<String, float[]> p = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : parameterShapes(config).entrySet()) {
            p.put(e.getKey(), switch (e.getKey()) {
                case "W_dec" -> wDec;
                case "W_enc" -> SaeInit.transpose(wDec, config.dSae(), config.dIn());
                default -> new float[Math.toIntExact(Arrays.stream(e.getValue()).reduce(1, Math::multiplyExact))];
            });
        }
        return p;
    }

    /**
     * The gradient step microw's trainer uses for this architecture, or empty when it can only be loaded and run.
     *
     * @return the training rule
     */
    public final Optional<TrainingRule> training() {
        return training;
    }

    /**
     * The architecture SAELens' files record for an SAE of this one (BatchTopK is written as the JumpReLU it is at
     * inference); this one by default.
     *
     * @return the architecture written to cfg.json
     */
    public SaeArchitecture savedAs() {
        return this;
    }

    /**
     * Whether cfg.json may give a fractional {@code k} (an average, rounded on reading), as SAELens allows for
     * BatchTopK.
     *
     * @return whether a fractional k is accepted
     */
    public boolean acceptsFractionalK() {
        return false;
    }

    /**
     * Parses an architecture name (SAELens name or alias) among {@link SaeArchitectures#all()}; the error lists the
     * known names.
     *
     * @param name the name
     * @return the architecture
     */
    public static SaeArchitecture fromSaeLensName(String name) {
        return SaeArchitectures.get(name);
    }

    /**
     * Every registered architecture, built-in ones first (as the enum this class replaces offered).
     *
     * @return the architectures
     */
    public static List<SaeArchitecture> values() {
        return SaeArchitectures.all();
    }

    @Override
    public String toString() {
        return saeLensName;
    }

    static String normalised(String name) {
        return name == null ? "" : name.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
    }
}
