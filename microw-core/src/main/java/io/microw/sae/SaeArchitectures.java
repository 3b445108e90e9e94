package io.microw.sae;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * The registry of SAE architectures: the built-in ones ({@link SaeArchitecture#STANDARD}, {@code TOPK},
 * {@code BATCH_TOPK}, {@code JUMP_RELU}, {@code GATED}) followed by those found by {@link ServiceLoader} under
 * {@code META-INF/services/io.microw.sae.SaeArchitecture}. Read once, on first use; two architectures may not share
 * a name or alias. The CLI, the server and the web UI take their choices from here.
 */
public final class SaeArchitectures {

    private SaeArchitectures() {
    }

    /** Loaded on first use, after {@link SaeArchitecture}'s constants exist. */
    private static final class Holder {
        static final List<SaeArchitecture> ALL = load();
    }

    /**
     * Every architecture, built-in ones first.
     *
     * @return the architectures, unmodifiable
     */
    public static List<SaeArchitecture> all() {
        return Holder.ALL;
    }

    /**
     * The architectures microw can train (those with a {@link SaeArchitecture#training()} rule).
     *
     * @return the trainable architectures, in registry order
     */
    public static List<SaeArchitecture> trainable() {
        return all().stream().filter(a -> a.training().isPresent()).toList();
    }

    /**
     * The architecture with this name or alias (ignoring case, '-' and '_').
     *
     * @param name the name
     * @return the architecture, or empty when none has the name
     */
    public static Optional<SaeArchitecture> find(String name) {
        return all().stream().filter(a -> a.isNamed(name)).findFirst();
    }

    /**
     * The architecture with this name or alias; the error names the value and lists the known names.
     *
     * @param name the name
     * @return the architecture
     */
    public static SaeArchitecture get(String name) {
        return find(name).orElseThrow(() -> new SaeException("unknown SAE architecture '" + name
                + "'; expected one of " + names(all())));
    }

    /**
     * A trainable architecture by name; the error says when it exists but cannot be trained.
     *
     * @param name the name
     * @return the architecture
     */
    public static SaeArchitecture requireTrainable(String name) {
        SaeArchitecture a = get(name);
        if (a.training().isEmpty()) {
            throw new SaeException(a.saeLensName() + " SAEs can be loaded and run but not trained by microw; "
                    + "train one of " + names(trainable()));
        }
        return a;
    }

    /**
     * The SAELens names of some architectures, comma-separated, for messages.
     *
     * @param architectures the architectures
     * @return their names
     */
    public static String names(List<SaeArchitecture> architectures) {
        return architectures.stream().map(SaeArchitecture::saeLensName).collect(Collectors.joining(", "));
    }

    private static List<SaeArchitecture> load() {
        List<SaeArchitecture> out = new ArrayList<>(List.of(SaeArchitecture.STANDARD, SaeArchitecture.TOPK,
                SaeArchitecture.BATCH_TOPK, SaeArchitecture.JUMP_RELU, SaeArchitecture.GATED));
        for (SaeArchitecture added : ServiceLoader.load(SaeArchitecture.class)) {
            for (SaeArchitecture known : out) {
                for (String name : names(added)) {
                    if (known.isNamed(name)) {
                        throw new SaeException("SAE architecture " + added.getClass().getName() + " takes the name '"
                                + name + "', which " + known.saeLensName() + " already has");
                    }
                }
            }
            out.add(added);
        }
        return List.copyOf(out);
    }

    private static List<String> names(SaeArchitecture a) {
        List<String> n = new ArrayList<>(a.aliases());
        n.add(0, a.saeLensName());
        return n;
    }
}
