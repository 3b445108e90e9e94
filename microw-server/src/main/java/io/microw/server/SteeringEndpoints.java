package io.microw.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;

import java.util.List;

/**
 * POST /api/models/{id}/steer: generate each prompt without and with SAE latent edits.
 *
 * @param models the loaded models
 * @param saes the loaded SAEs
 */
record SteeringEndpoints(ModelRegistry models, SaeRegistry saes) {

    /** POST /api/models/{id}/steer: baseline and steered generations of each prompt. */
    void steer(Context ctx) {
        ObjectNode body = Requests.body(ctx);
        List<String> prompts = Requests.texts(body, "prompts", "prompt", Endpoints.MAX_TEXTS, Endpoints.MAX_CHARS);
        Requests.Generation gen = Requests.generation(body);
        try (ModelRegistry.Lease lease = models.lease(ctx.pathParam("id"))) {
            ModelRegistry.Loaded l = lease.model();
            SaeRegistry.Entry e = saes.get(Requests.text(body, "sae", true));
            if (!e.model().equals(l.id)) {
                throw ApiException.badRequest("'sae': SAE " + e.id() + " reads model '" + e.model() + "', not '"
                        + l.id + "'");
            }
            LatentEdits edits = LatentEdits.parse(body, e.sae().dSae());
            Steering.Outcome o = Steering.run(l, saes, e, edits, prompts, gen.config(), true);
            ObjectNode out = Steering.compared(l, e, edits, prompts, o);
            out.put("sampled", gen.sampled());
            Endpoints.json(ctx, 200, out);
        }
    }
}
