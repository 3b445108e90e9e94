package io.microw.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.concepts.AutoencoderConcepts;
import io.microw.lm.GenerationConfig;
import io.microw.lm.GenerationResult;
import io.microw.lm.LanguageModel;
import io.microw.steering.PositionScope;

import java.util.List;

/**
 * Generation with SAE latent edits for one request: under the model's lock and the SAE entry's monitor (so a
 * concurrent DELETE of the SAE waits), an optional baseline pass without the SAE, then the SAE attached with the
 * edits for the steered pass, detached and its manipulations reset in {@code finally}.
 */
final class Steering {

    /**
     * The passes of one steering request.
     *
     * @param baseline the unedited generation, or null when it was not asked for
     * @param steered the edited generation
     */
    record Outcome(GenerationResult baseline, GenerationResult steered) {
    }

    private Steering() {
    }

    /**
     * Runs the passes; the caller holds a lease on {@code l} until it has read the results. 409 when the model is
     * being unloaded, 404 when the SAE was deleted meanwhile.
     */
    static Outcome run(ModelRegistry.Loaded l, SaeRegistry saes, SaeRegistry.Entry e, LatentEdits edits,
                       List<String> prompts, GenerationConfig cfg, boolean withBaseline) {
        Endpoints.requireTokenizer(l.lm);
        l.lockOpen();
        try {
            synchronized (e) {
                if (!saes.isLoaded(e)) {
                    throw ApiException.notFound("SAE '" + e.id() + "' was deleted");
                }
                GenerationResult baseline = withBaseline ? l.lm.inference().generate(prompts, cfg) : null;
                AutoencoderConcepts concepts = e.hook().concepts();
                e.hook().attachTo(l.lm, e.layer());
                try {
                    edits.applyTo(concepts);
                    return new Outcome(baseline, l.lm.inference().generate(prompts, cfg));
                } finally {
                    e.hook().detach();
                    concepts.resetManipulations();
                    concepts.setPositionScope(PositionScope.ALL);
                }
            }
        } finally {
            l.lock.unlock();
        }
    }

    /** {"completion", "text", "tokens": [{"id","text"}]} of one prompt's generation. */
    static ObjectNode completion(LanguageModel lm, GenerationResult g, int row) {
        ObjectNode n = Json.object();
        n.put("completion", g.completions().get(row));
        n.put("text", g.texts().get(row));
        n.set("tokens", Endpoints.tokens(lm, g.newTokens(row)));
        return n;
    }

    /** The response of /steer and of a manipulation preview: per prompt, baseline and steered. */
    static ObjectNode compared(ModelRegistry.Loaded l, SaeRegistry.Entry e, LatentEdits edits, List<String> prompts,
                               Outcome o) {
        ObjectNode out = Json.object();
        out.put("model", l.id);
        out.put("sae", e.id());
        out.put("layer", e.layer());
        out.put("scope", edits.scopeName());
        out.set("edits", edits.toJson());
        ArrayNode results = out.putArray("results");
        for (int i = 0; i < prompts.size(); i++) {
            ObjectNode r = results.addObject();
            r.put("prompt", prompts.get(i));
            r.set("baseline", completion(l.lm, o.baseline(), i));
            r.set("steered", completion(l.lm, o.steered(), i));
            r.put("changed", !o.baseline().texts().get(i).equals(o.steered().texts().get(i)));
        }
        return out;
    }
}
