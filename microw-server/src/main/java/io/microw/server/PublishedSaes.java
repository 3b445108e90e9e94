package io.microw.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.microw.io.hub.HubException;
import io.microw.io.hub.PretrainedOptions;
import io.microw.sae.PretrainedSaes;
import io.microw.sae.Sae;
import io.microw.sae.SaeException;
import io.microw.sae.SaeRelease;

import java.util.List;

/**
 * Published SAEs by release and id (SAELens' registry and the embedded releases, {@link PretrainedSaes}): listing
 * them ({@code GET /api/sae-releases}) and opening one for {@code POST /api/saes/load}, with registry misses as 404
 * naming the closest ids, download failures as 502 and unreadable files as 400.
 */
final class PublishedSaes {

    private final ServerConfig config;
    private final PretrainedOptions options;

    /**
     * @param config  the server's settings, for redacting local paths in messages
     * @param options Hub settings for downloads (cache, offline, token, endpoint)
     */
    PublishedSaes(ServerConfig config, PretrainedOptions options) {
        this.config = config;
        this.options = options;
    }

    /** {@code GET /api/sae-releases[?model=M]}: releases with their model, format, repository and SAE ids. */
    void list(Context ctx) {
        String model = ctx.queryParam("model");
        List<SaeRelease> releases = model == null || model.isBlank() ? PretrainedSaes.defaults().releases()
                : PretrainedSaes.defaults().releasesFor(model);
        ObjectNode n = Json.object();
        ArrayNode list = n.putArray("releases");
        for (SaeRelease r : releases) {
            ObjectNode o = list.addObject();
            o.put("release", r.name());
            o.put("model", r.model());
            o.put("converter", r.converter());
            o.put("repo_id", r.repoId());
            o.put("embedded", r.embedded());
            ArrayNode ids = o.putArray("sae_ids");
            r.saes().forEach(e -> ids.add(e.id()));
        }
        Endpoints.json(ctx, 200, n);
    }

    /** Downloads (or unpacks) and loads a published SAE; the caller closes it. */
    Sae open(String release, String saeId) {
        try {
            PretrainedSaes.defaults().release(release).sae(saeId);
        } catch (SaeException e) {
            throw ApiException.notFound(e.getMessage() + "; GET /api/sae-releases lists the releases");
        }
        try {
            return Sae.fromPretrained(release, saeId, options);
        } catch (HubException e) {
            throw new ApiException(502, "cannot download SAE '" + saeId + "' of release '" + release + "': "
                    + PathGuard.redact(e.getMessage(), config));
        } catch (RuntimeException e) {
            throw ApiException.badRequest("cannot load SAE '" + saeId + "' of release '" + release + "': "
                    + PathGuard.redact(e.getMessage(), config));
        }
    }
}
