package io.microw.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.lm.LanguageModel;
import io.microw.lm.Layers;
import io.microw.nn.Module;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A model's module tree as {@code microw layers} and {@code microw model layers} show it: one layer per line,
 * indented by depth, with its Hugging Face class and its aliases; or one canonical name per line; or JSON.
 */
final class LayerTree {

    private LayerTree() {
    }

    /** The heading, a blank line and the indented tree. */
    static void printTree(PrintWriter out, LanguageModel lm, String label, boolean aliases) {
        Layers layers = lm.layers();
        out.println(label + ": " + Models.describe(lm.config()));
        out.println(layers.names().size() + " layers; hook any of them by name, alias or index "
                + "(0.." + (layers.names().size() - 1) + " in this order).");
        out.println();
        print(out, layers, lm.module(), 0, aliases);
    }

    /** One canonical name per line. */
    static void printFlat(PrintWriter out, LanguageModel lm) {
        lm.layers().names().forEach(out::println);
    }

    /** {"model", "architecture", "count", "layers": [{index, name, type, depth, hookable, aliases}]}. */
    static ObjectNode json(LanguageModel lm, String label) {
        ObjectNode root = Json.object();
        root.put("model", label);
        root.put("architecture", lm.config().architecture());
        Layers layers = lm.layers();
        root.put("count", layers.names().size());
        ArrayNode list = root.putArray("layers");
        List<String> names = layers.names();
        add(list, layers, names, lm.module(), 0);
        return root;
    }

    private static void add(ArrayNode list, Layers layers, List<String> names, Module module, int depth) {
        String name = module.name().isEmpty() ? Layers.ROOT : module.name();
        ObjectNode n = list.addObject();
        int index = names.indexOf(module.name());
        if (index >= 0) {
            n.put("index", index);
        } else {
            n.putNull("index");
        }
        n.put("name", name);
        n.put("type", module.typeName());
        n.put("depth", depth);
        n.put("hookable", module.isCallable());
        ArrayNode aliases = n.putArray("aliases");
        for (String alias : otherAliases(layers, module, name)) {
            aliases.add(alias);
        }
        for (Module child : module.children()) {
            add(list, layers, names, child, depth + 1);
        }
    }

    private static void print(PrintWriter out, Layers layers, Module module, int depth, boolean withAliases) {
        String name = module.name().isEmpty() ? Layers.ROOT : module.name();
        StringBuilder line = new StringBuilder("  ".repeat(depth)).append(name).append("  ").append(module.typeName());
        if (!module.isCallable()) {
            line.append(" (container, not hookable)");
        }
        if (withAliases) {
            List<String> aliases = otherAliases(layers, module, name);
            if (!aliases.isEmpty()) {
                line.append("  = ").append(String.join(", ", aliases));
            }
        }
        out.println(line);
        for (Module child : module.children()) {
            print(out, layers, child, depth + 1, withAliases);
        }
    }

    private static List<String> otherAliases(Layers layers, Module module, String name) {
        List<String> aliases = new ArrayList<>(layers.aliasesOf(module.name()));
        aliases.remove(name);
        return aliases;
    }
}
