package io.microw.cli;

import io.microw.hooks.BaseHook;
import io.microw.hooks.Detector;
import io.microw.hooks.HookCall;
import io.microw.hooks.HookType;
import io.microw.lm.LanguageModel;
import io.microw.lm.Layers;
import io.microw.nn.Module;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where a forward's time goes, measured with microw's own hooks: a PRE_FORWARD and a FORWARD detector on every
 * module note the wall time between them (CPU tensors compute eagerly, so this is the module's time). Times are
 * summed per module kind, with the block index replaced by {@code N} ({@code transformer.h.N.mlp.act}); a
 * module's self time is its time minus its timed children's.
 */
final class ModuleTimes {

    private final LanguageModel lm;
    private final Map<String, String> kindOf = new HashMap<>();
    private final Map<String, Long> started = new HashMap<>();
    private final Map<String, Long> total = new LinkedHashMap<>();
    private final Map<String, Long> self = new LinkedHashMap<>();
    private final List<String> hookIds = new ArrayList<>();

    ModuleTimes(LanguageModel lm) {
        this.lm = lm;
    }

    /** Registers the timing hooks. */
    void attach() {
        Layers layers = lm.layers();
        for (Module m : lm.module().modules()) {
            if (!m.isCallable()) {
                continue;
            }
            String layer = m.name().isEmpty() ? Layers.ROOT : m.name();
            String kind = m.name().isEmpty() ? "(whole model)" : m.name().replaceAll("\\.\\d+(\\.|$)", ".N$1");
            kindOf.put(m.name(), kind);
            total.putIfAbsent(kind, 0L);
            self.putIfAbsent(kind, 0L);
            hookIds.add(layers.registerHook(layer, new Stamp(layer, HookType.PRE_FORWARD)));
            hookIds.add(layers.registerHook(layer, new Stamp(layer, HookType.FORWARD)));
        }
    }

    /** Removes the timing hooks. */
    void detach() {
        hookIds.forEach(lm.layers()::unregisterHook);
        hookIds.clear();
    }

    void reset() {
        total.replaceAll((k, v) -> 0L);
        self.replaceAll((k, v) -> 0L);
    }

    /** Prints ms per forward by module kind, largest self time first. */
    void print(PrintWriter out, int forwards) {
        long whole = total.getOrDefault("(whole model)", 1L);
        out.printf(Locale.ROOT, "  %-44s %10s %10s %7s%n", "module (N = every block)", "self ms", "total ms", "self %");
        self.entrySet().stream()
                .filter(e -> e.getValue() > 0)
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .limit(16)
                .forEach(e -> out.printf(Locale.ROOT, "  %-44s %10.2f %10.2f %6.1f%%%n", e.getKey(),
                        e.getValue() / 1e6 / forwards, total.get(e.getKey()) / 1e6 / forwards,
                        100.0 * e.getValue() / whole));
    }

    private final class Stamp extends BaseHook implements Detector {

        Stamp(String layer, HookType type) {
            super(type, layer);
        }

        @Override
        public void processActivations(HookCall call) {
            long now = System.nanoTime();
            String name = call.module().name();
            if (hookType() == HookType.PRE_FORWARD) {
                started.put(name, now);
                return;
            }
            Long start = started.remove(name);
            if (start == null) {
                return;
            }
            long spent = now - start;
            String kind = kindOf.get(name);
            total.merge(kind, spent, Long::sum);
            self.merge(kind, spent, Long::sum);
            Module parent = parentOf(name);
            if (parent != null) {
                self.merge(kindOf.get(parent.name()), -spent, Long::sum);
            }
        }
    }

    private final Map<String, Module> parents = new HashMap<>();

    private Module parentOf(String name) {
        if (parents.isEmpty()) {
            for (Module m : lm.module().modules()) {
                for (Module c : m.children()) {
                    parents.put(c.name(), m);
                }
            }
        }
        Module p = parents.get(name);
        // a pure container (the block list) never runs: charge its child to the container's parent
        while (p != null && !p.isCallable()) {
            p = parents.get(p.name());
        }
        return p;
    }
}
