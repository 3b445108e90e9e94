package io.microw.concepts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.io.AtomicFiles;
import io.microw.io.JsonMapper;
import io.microw.sae.SaeException;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Writes tracked top texts: mi-crow's JSON ({@code {"<latent>": [{"text", "score", "token_str", "token_idx"}]}},
 * plus microw's {@code text_id}, {@code window}, {@code window_start} and {@code window_activations}), mi-crow's CSV
 * (columns {@code neuron_idx,text,score,token_str,token_idx}); {@link NeuronpediaExport} writes Neuronpedia's
 * batch layout. Every file is written to a temporary name and renamed.
 */
public final class TopTextsExport {

    private static final ObjectMapper JSON = JsonMapper.mapper();

    private static final ObjectWriter PRETTY = JsonMapper.pretty();

    private TopTextsExport() {
    }

    /**
     * mi-crow's top-texts JSON, every latent (empty lists for latents that never fired).
     *
     * @param tracker the tracked contexts (a {@link TopTextTracker}, or any other source)
     * @param file the JSON file to write
     */
    public static void writeJson(TopTextSource tracker, Path file) {
        ObjectNode root = JSON.createObjectNode();
        for (int latent = 0; latent < tracker.latents(); latent++) {
            ArrayNode list = root.putArray(Integer.toString(latent));
            for (LatentContext c : tracker.topTexts(latent)) {
                ObjectNode o = list.addObject();
                o.put("text", c.text());
                o.put("score", c.activation());
                o.put("token_str", c.token());
                o.put("token_idx", c.position());
                o.put("text_id", c.textId());
                o.set("window", JSON.valueToTree(c.window()));
                o.put("window_start", c.windowStart());
                o.set("window_activations", JSON.valueToTree(c.windowActivations()));
            }
        }
        write(file, w -> PRETTY.writeValue(w, root));
    }

    /**
     * mi-crow's top-texts CSV: one row per text per latent.
     *
     * @param tracker the tracked contexts (a {@link TopTextTracker}, or any other source)
     * @param file the CSV file to write
     */
    public static void writeCsv(TopTextSource tracker, Path file) {
        write(file, w -> {
            w.write("neuron_idx,text,score,token_str,token_idx\n");
            for (int latent = 0; latent < tracker.latents(); latent++) {
                for (LatentContext c : tracker.topTexts(latent)) {
                    w.write(latent + "," + csv(c.text()) + "," + c.activation() + "," + csv(c.token()) + ","
                            + c.position() + "\n");
                }
            }
        });
    }

    /** What writes a file's contents. */
    interface Body {
        void write(Writer w) throws IOException;
    }

    /** Writes {@code file} through a temporary name in its folder, then renames it (creating the folder). */
    static void write(Path file, Body body) {
        try {
            AtomicFiles.write(file, out -> {
                try (Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8))) {
                    body.write(w);
                }
            });
        } catch (IOException e) {
            throw new SaeException(e.getMessage(), e);
        }
    }

    private static String csv(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }
}
