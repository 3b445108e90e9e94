package io.microw.lm;

import io.microw.hooks.Controller;
import io.microw.hooks.Detector;
import io.microw.hooks.Hook;
import io.microw.hooks.HookException;
import io.microw.hooks.HookType;
import io.microw.models.TransformerModel;
import io.microw.nn.internal.HookRunner;
import io.microw.nn.Module;
import io.microw.util.EditDistance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The named layers of a model and the hooks registered on them. Canonical names are Hugging Face module
 * paths; aliases resolve to them: TransformerLens names ({@code blocks.0.hook_resid_post}), mi-crow
 * signatures ({@code gpt2lmheadmodel_transformer_h_0_attn_c_attn}), {@code layer_<i>} for block i,
 * {@code root} for the whole model, and indices into {@link #names()}.
 *
 * <p>Hooks run in registration order. A layer takes detectors or controllers, not both, unless one hook is
 * both (an attached SAE). Changes to the registry apply from the next forward on.
 */
public final class Layers {

    /** Alias of the root module (the whole model), whose canonical name is the empty string. */
    public static final String ROOT = "root";

    private final TransformerModel root;
    private final Map<String, Module> modules = new LinkedHashMap<>();
    private final List<String> names;
    private final Map<String, String> aliases = new LinkedHashMap<>();
    private final Map<String, List<String>> ambiguous = new HashMap<>();
    private final Object lock = new Object();
    private volatile Map<String, List<HookRegistration>> byLayer = Map.of();
    private final Map<String, HookRegistration> byId = new LinkedHashMap<>();

    Layers(TransformerModel root) {
        this.root = root;
        for (Module m : root.modules()) {
            modules.put(m.name(), m);
        }
        this.names = List.copyOf(modules.keySet().stream().filter(n -> !n.isEmpty()).collect(Collectors.toList()));
        aliases.put(ROOT, "");
        aliases.put(root.typeName().toLowerCase(Locale.ROOT), "");
        aliases.putAll(root.aliases());
        for (int i = 0; i < root.config().numLayers(); i++) {
            aliases.put("layer_" + i, root.blockName(i));
        }
        addSignatures();
    }

    /** mi-crow's signatures: the class name and the module path joined with underscores, lower case. */
    private void addSignatures() {
        String prefix = root.typeName().toLowerCase(Locale.ROOT) + "_";
        Map<String, List<String>> bySignature = new LinkedHashMap<>();
        for (String name : names) {
            bySignature.computeIfAbsent(prefix + name.replace('.', '_').toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(name);
        }
        bySignature.forEach((signature, targets) -> {
            if (targets.size() == 1) {
                aliases.putIfAbsent(signature, targets.get(0));
            } else {
                ambiguous.put(signature, targets);
            }
        });
    }

    /**
     * Canonical layer names in module order (the root, named "", is left out; hook it as {@code root}).
     *
     * @return the layer names
     */
    public List<String> names() {
        return names;
    }

    /**
     * Every alias and the canonical name it stands for.
     *
     * @return alias to canonical name, unmodifiable
     */
    public Map<String, String> aliases() {
        return Collections.unmodifiableMap(aliases);
    }

    /**
     * The aliases of one canonical name.
     *
     * @param canonical a canonical layer name
     * @return its aliases, empty when it has none
     */
    public List<String> aliasesOf(String canonical) {
        return aliases.entrySet().stream().filter(e -> e.getValue().equals(canonical)).map(Map.Entry::getKey)
                .collect(Collectors.toList());
    }

    /**
     * The module with this name or alias.
     *
     * @param nameOrAlias a layer name, alias or index
     * @return the module
     */
    public Module module(String nameOrAlias) {
        return modules.get(resolve(nameOrAlias));
    }

    /**
     * The requested layer that finishes last in model order: the one whose subtree reaches furthest in
     * {@link Layers#names()}, an ancestor winning over its descendants (it ends after them); {@code null} when the
     * whole model is requested. Forwards that only need these layers can stop after it.
     *
     * @param canonical canonical layer names
     * @return the last of them to finish, or {@code null}
     */
    public String lastInModelOrder(List<String> canonical) {
        List<String> names = names();
        String best = null;
        int bestEnd = -1;
        for (String layer : canonical) {
            if (layer.isEmpty()) {
                return null;
            }
            int end = names.indexOf(layer);
            for (int i = end + 1; i < names.size() && names.get(i).startsWith(layer + "."); i++) {
                end = i;
            }
            if (end > bestEnd || (end == bestEnd && layer.length() < best.length())) {
                best = layer;
                bestEnd = end;
            }
        }
        return best;
    }

    /**
     * The canonical name of a layer given by name, alias or index. An unknown name is an
     * {@link UnknownLayerException} listing the closest valid names.
     *
     * @param nameOrAlias a layer name, alias or index
     * @return the canonical name
     */
    public String resolve(String nameOrAlias) {
        if (nameOrAlias == null) {
            throw new UnknownLayerException("layer name is null");
        }
        if (modules.containsKey(nameOrAlias)) {
            return nameOrAlias;
        }
        String target = aliases.get(nameOrAlias);
        if (target != null) {
            return target;
        }
        if (ambiguous.containsKey(nameOrAlias)) {
            throw new UnknownLayerException("layer signature '" + nameOrAlias + "' is ambiguous: it matches "
                    + ambiguous.get(nameOrAlias) + "; use one of those names");
        }
        if (nameOrAlias.matches("-?\\d+")) {
            try {
                int index = Integer.parseInt(nameOrAlias);
                if (index >= 0 && index < names.size()) {
                    return names.get(index);
                }
            } catch (NumberFormatException beyondInt) {
                // out of range too: the error below
            }
            throw new UnknownLayerException("layer index " + nameOrAlias + " is out of range: the model has "
                    + names.size() + " hook points (0.." + (names.size() - 1) + ")");
        }
        throw new UnknownLayerException("unknown layer '" + nameOrAlias + "'; closest: " + closest(nameOrAlias)
                + " (lm.layers().names() lists all " + names.size() + ")");
    }

    /**
     * The canonical layers a name, alias, index or glob pattern stands for, in model order. A pattern uses
     * {@code *} (any characters, dots included) and {@code ?} (one character) and is matched against canonical
     * names and aliases alike, so {@code blocks.*.hook_resid_post} and {@code *.hook_z} both work; it selects only
     * layers that run (containers such as {@code transformer.h} are left out). A pattern that matches nothing is an
     * {@link UnknownLayerException} naming it; a plain name resolves as {@link #resolve} does.
     *
     * @param nameOrPattern a layer name, alias, index or glob pattern
     * @return the canonical names, at least one
     */
    public List<String> match(String nameOrPattern) {
        if (nameOrPattern == null || nameOrPattern.indexOf('*') < 0 && nameOrPattern.indexOf('?') < 0) {
            return List.of(resolve(nameOrPattern));
        }
        Pattern glob = Pattern.compile(Arrays.stream(nameOrPattern.split("", -1))
                .map(c -> c.equals("*") ? ".*" : c.equals("?") ? "." : Pattern.quote(c))
                .collect(Collectors.joining()));
        Set<String> hit = new HashSet<>();
        for (String name : names) {
            if (glob.matcher(name).matches()) {
                hit.add(name);
            }
        }
        aliases.forEach((alias, target) -> {
            if (!target.isEmpty() && glob.matcher(alias).matches()) {
                hit.add(target);
            }
        });
        List<String> matched = names.stream().filter(hit::contains).filter(n -> modules.get(n).isCallable())
                .collect(Collectors.toList());
        if (matched.isEmpty()) {
            throw new UnknownLayerException("pattern '" + nameOrPattern + "' matches no layer that runs; "
                    + "patterns match canonical names and aliases, e.g. 'blocks.*.hook_resid_post' or '*.hook_z'");
        }
        return matched;
    }

    /** The model these layers belong to. */
    TransformerModel model() {
        return root;
    }

    private List<String> closest(String name) {
        return Stream.concat(names.stream(), aliases.keySet().stream())
                .distinct()
                .sorted(Comparator.comparingInt((String n) -> distance(n, name)).thenComparing(n -> n))
                .limit(5)
                .collect(Collectors.toList());
    }

    /** Edit distance to the whole name or to its last segments, whichever is closer ("c_atn" is near "...attn.c_attn"). */
    private static int distance(String candidate, String query) {
        String[] parts = candidate.split("\\.");
        int segments = Math.min(parts.length, query.split("\\.").length);
        String tail = String.join(".", java.util.Arrays.copyOfRange(parts, parts.length - segments, parts.length));
        return Math.min(EditDistance.between(candidate, query), EditDistance.between(tail, query) + 1);
    }

    /**
     * Registers a hook on a layer (name, alias or index) and returns its id. Fails before any forward on an
     * unknown layer, a duplicate id, a container layer that never runs, a hook made for another layer, or a
     * detector and a controller on the same layer in the same pass (a BACKWARD hook shares a layer with forward hooks
     * of either kind). A BACKWARD controller replaces the gradient arriving at the layer's output in gradient calls
     * ({@link LanguageModel#gradients()}).
     *
     * @param layer a layer name, alias or index
     * @param hook  the hook
     * @return the hook's id
     */
    public String registerHook(String layer, Hook hook) {
        String canonical = resolve(layer);
        Module module = modules.get(canonical);
        if (!module.isCallable()) {
            throw new HookException("layer '" + canonical + "' is a " + module.typeName() + " container that never "
                    + "runs; hook one of its children, e.g. '" + module.children().get(0).name() + "'");
        }
        if (hook.layerSignature() != null && !hook.layerSignature().equals(layer)) {
            String own = resolve(hook.layerSignature());
            if (!own.equals(canonical)) {
                throw new HookException("hook '" + hook.id() + "' was made for layer '" + hook.layerSignature()
                        + "' (" + own + ") but is being registered on '" + layer + "' (" + canonical + ")");
            }
        }
        synchronized (lock) {
            if (byId.containsKey(hook.id())) {
                throw new HookException("a hook with id '" + hook.id() + "' is already registered on layer '"
                        + byId.get(hook.id()).layer() + "'; hook ids must be unique");
            }
            HookRegistration reg = new HookRegistration(canonical, hook);
            List<HookRegistration> existing = byLayer.getOrDefault(canonical, List.of());
            String kind = reg.pureKind();
            for (HookRegistration other : existing) {
                if (other.backward() != reg.backward()) {
                    continue;
                }
                String otherKind = other.pureKind();
                if (kind != null && otherKind != null && !kind.equals(otherKind)) {
                    throw new HookException("layer '" + canonical + "' already has " + otherKind + " '"
                            + other.hook().id() + "'; in each pass (forward, backward) a layer takes detectors or "
                            + "controllers, not both (a hook that is both, such as an SAE, may share it); register the "
                            + kind + " on another layer");
                }
            }
            byId.put(hook.id(), reg);
            publish();
        }
        hook.onRegistered(canonical);
        return hook.id();
    }

    /**
     * Removes a hook; returns false if no hook has that id.
     *
     * @param hookId the id {@link #registerHook} returned
     * @return true when a hook was removed
     */
    public boolean unregisterHook(String hookId) {
        HookRegistration removed;
        synchronized (lock) {
            removed = byId.remove(hookId);
            if (removed == null) {
                return false;
            }
            publish();
        }
        removed.hook().onUnregistered();
        return true;
    }

    /**
     * Enables one hook; an unknown id is a {@link io.microw.hooks.HookException}.
     *
     * @param hookId the hook's id
     */
    public void enableHook(String hookId) {
        registration(hookId).hook().setEnabled(true);
    }

    /**
     * Disables one hook (it stays registered); an unknown id is a {@link io.microw.hooks.HookException}.
     *
     * @param hookId the hook's id
     */
    public void disableHook(String hookId) {
        registration(hookId).hook().setEnabled(false);
    }

    /**
     * Enables every registered hook.
     */
    public void enableAllHooks() {
        allHooks().forEach(h -> h.setEnabled(true));
    }

    /**
     * Disables every registered hook; they stay registered.
     */
    public void disableAllHooks() {
        allHooks().forEach(h -> h.setEnabled(false));
    }

    /**
     * Hooks on one layer, in run order.
     *
     * @param layer a layer name, alias or index
     * @return its hooks, empty when none
     */
    public List<Hook> hooks(String layer) {
        return byLayer.getOrDefault(resolve(layer), List.of()).stream().map(HookRegistration::hook)
                .collect(Collectors.toList());
    }

    /**
     * Every registered hook, in registration order.
     *
     * @return the hooks
     */
    public List<Hook> allHooks() {
        synchronized (lock) {
            return byId.values().stream().map(HookRegistration::hook).collect(Collectors.toList());
        }
    }

    /**
     * Every registered detector (including hooks that are also controllers).
     *
     * @return the detectors, in registration order
     */
    public List<Detector> detectors() {
        return allHooks().stream().filter(h -> h instanceof Detector).map(h -> (Detector) h).collect(Collectors.toList());
    }

    /**
     * Every registered controller (including hooks that are also detectors).
     *
     * @return the controllers, in registration order
     */
    public List<Controller> controllers() {
        return allHooks().stream().filter(h -> h instanceof Controller).map(h -> (Controller) h)
                .collect(Collectors.toList());
    }

    /**
     * The layer a hook is registered on.
     *
     * @param hookId the hook's id
     * @return the canonical layer name
     */
    public String layerOf(String hookId) {
        return registration(hookId).layer();
    }

    private HookRegistration registration(String hookId) {
        synchronized (lock) {
            HookRegistration reg = byId.get(hookId);
            if (reg == null) {
                throw new HookException("no hook with id '" + hookId + "' is registered; registered: " + byId.keySet());
            }
            return reg;
        }
    }

    private void publish() {
        Map<String, List<HookRegistration>> next = new HashMap<>();
        for (HookRegistration reg : byId.values()) {
            next.computeIfAbsent(reg.layer(), k -> new ArrayList<>()).add(reg);
        }
        next.replaceAll((k, v) -> List.copyOf(v));
        byLayer = Map.copyOf(next);
    }

    /** The enabled BACKWARD hooks (detectors and controllers) registered now, by canonical layer, in registration order. */
    Map<String, List<HookRegistration>> backwardHooks() {
        Map<String, List<HookRegistration>> out = new HashMap<>();
        byLayer.forEach((layer, regs) -> regs.stream()
                .filter(r -> r.hook().hookType() == HookType.BACKWARD && r.hook().isEnabled())
                .forEach(r -> out.computeIfAbsent(layer, k -> new ArrayList<>()).add(r)));
        return out;
    }

    /** The hooks to run for one forward. */
    HookRunner runner(boolean withControllers) {
        return runner(withControllers, Map.of());
    }

    /**
     * The hooks to run for one forward: the registered ones, then on each layer the per-call hooks of that forward
     * only (a run's interventions), which never enter the registry.
     */
    HookRunner runner(boolean withControllers, Map<String, List<HookRegistration>> perCall) {
        Map<String, List<HookRegistration>> snapshot = byLayer;
        if (perCall.isEmpty()) {
            return snapshot.isEmpty() ? HookRunner.NONE : new HookDispatcher(snapshot, withControllers);
        }
        Map<String, List<HookRegistration>> merged = new HashMap<>(snapshot);
        perCall.forEach((layer, regs) -> {
            List<HookRegistration> all = new ArrayList<>(merged.getOrDefault(layer, List.of()));
            all.addAll(regs);
            merged.put(layer, List.copyOf(all));
        });
        return new HookDispatcher(merged, withControllers);
    }
}
