package io.microw.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.microw.frontend.TrainingJobSpec;
import io.microw.sae.SaeArchitecture;
import io.microw.sae.SaeArchitectures;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OpenAPI 3 document of the server's routes, generated from the route table, with the schemas of
 * {@code openapi-schemas.json} (next to this class) for the routes that name them; the values a patching request
 * takes for {@code what} and {@code channel} come from {@link PatchingRequest}, an attribution request's {@code what}
 * from {@link AttributionRequest}, a saliency request's {@code method} from {@link SaliencyEndpoints}, and a training
 * request's {@code architecture} and defaults from {@link SaeArchitectures} and {@link TrainingJobSpec}.
 */
final class OpenApi {

    private static final Pattern PARAM = Pattern.compile("\\{([^}]+)}");

    private OpenApi() {
    }

    static ObjectNode document(List<Route> routes, boolean hasKey, boolean protectReads, String version) {
        ObjectNode doc = Json.object();
        doc.put("openapi", "3.0.3");
        ObjectNode info = doc.putObject("info");
        info.put("title", "microw REST API");
        info.put("version", version);
        info.put("description", "Mechanistic interpretability for language models on the JVM. Errors are "
                + "{\"error\": message, \"status\": code}. Requests that change state (POST, PUT, DELETE) need "
                + "Content-Type: application/json, with a body or without (else 415). Requests from another web origin "
                + "get 403, and requests whose Host header names a host the server does not answer to get 421. When "
                + "the server has an API key, requests that change state need it in the X-API-Key header"
                + (protectReads ? ", and so do reads." : "."));
        ObjectNode components = doc.putObject("components");
        ObjectNode schemes = components.putObject("securitySchemes");
        ObjectNode key = schemes.putObject("apiKey");
        key.put("type", "apiKey");
        key.put("in", "header");
        key.put("name", ServerConfig.API_KEY_HEADER);
        ObjectNode schemas = components.putObject("schemas");
        ObjectNode error = schemas.putObject("Error");
        error.put("type", "object");
        ObjectNode props = error.putObject("properties");
        props.putObject("error").put("type", "string");
        props.putObject("status").put("type", "integer");
        error.putArray("required").add("error").add("status");
        schemas.setAll(namedSchemas());

        ObjectNode paths = doc.putObject("paths");
        for (Route r : routes) {
            ObjectNode path = paths.has(r.path()) ? (ObjectNode) paths.get(r.path()) : paths.putObject(r.path());
            String method = r.method().name().toLowerCase(Locale.ROOT);
            ObjectNode op = path.putObject(method);
            op.put("summary", r.summary());
            op.putArray("tags").add(r.tag());
            op.put("operationId", method + r.path().replaceAll("[^A-Za-z0-9]+", "_"));
            Matcher m = PARAM.matcher(r.path());
            ArrayNode params = null;
            while (m.find()) {
                if (params == null) {
                    params = op.putArray("parameters");
                }
                ObjectNode p = params.addObject();
                p.put("name", m.group(1));
                p.put("in", "path");
                p.put("required", true);
                p.putObject("schema").put("type", "string");
            }
            if (r.requestExample() != null) {
                ObjectNode media = op.putObject("requestBody").put("required", true).putObject("content")
                        .putObject("application/json");
                schema(media, r.requestSchema());
                try {
                    media.set("example", Json.MAPPER.readTree(r.requestExample()));
                } catch (Exception e) {
                    throw new IllegalStateException("bad example for " + r.path(), e);
                }
            }
            boolean guarded = r.method().name().equals("GET") ? protectReads : true;
            if (guarded && hasKey && !r.path().equals("/api/health")) {
                op.putArray("security").addObject().putArray("apiKey");
            }
            ObjectNode responses = op.putObject("responses");
            Set<Integer> statuses = new TreeSet<>(List.of(403, 421)); // any request: foreign origin, foreign host
            if (RequestGuard.changesState(r.method())) {
                statuses.add(415);
            }
            for (int status : r.statuses()) {
                statuses.add(status);
            }
            for (int status : statuses) {
                ObjectNode resp = responses.putObject(Integer.toString(status));
                resp.put("description", describe(status));
                schema(resp.putObject("content").putObject("application/json"),
                        status >= 400 ? "Error" : r.responseSchemas().get(status));
            }
        }
        return doc;
    }

    private static ObjectNode namedSchemas() {
        ObjectNode schemas;
        try (java.io.InputStream in = OpenApi.class.getResourceAsStream("openapi-schemas.json")) {
            schemas = (ObjectNode) Json.MAPPER.readTree(java.util.Objects.requireNonNull(in, "openapi-schemas.json"));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read openapi-schemas.json", e);
        }
        ObjectNode patching = (ObjectNode) schemas.path("PatchingRequest").path("properties");
        enumOf(patching, "what", PatchingRequest.whats());
        enumOf(patching, "channel", PatchingRequest.channels());
        enumOf((ObjectNode) schemas.path("AttributionRequest").path("properties"), "what",
                AttributionRequest.whats());
        enumOf((ObjectNode) schemas.path("SaliencyRequest").path("properties"), "method", SaliencyEndpoints.methods());
        ObjectNode training = (ObjectNode) schemas.path("TrainingRequest").path("properties");
        enumOf(training, "architecture",
                SaeArchitectures.trainable().stream().map(SaeArchitecture::saeLensName).toList());
        TrainingJobSpec.defaults().toParams().forEach((name, value) -> {
            if (training.get(name) instanceof ObjectNode property && !name.equals("checkpoint_every")) {
                property.set("default", Json.MAPPER.valueToTree(value));
            }
        });
        return schemas;
    }

    /** Sets the values a string property takes. */
    private static void enumOf(ObjectNode properties, String property, List<String> values) {
        ArrayNode list = ((ObjectNode) properties.get(property)).putArray("enum");
        values.forEach(list::add);
    }

    /** Sets the media type's schema: a reference to the named one, or a plain object when {@code name} is null. */
    private static void schema(ObjectNode media, String name) {
        if (name == null) {
            media.putObject("schema").put("type", "object");
        } else {
            media.putObject("schema").put("$ref", "#/components/schemas/" + name);
        }
    }

    private static String describe(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 202 -> "Accepted: a job goes on (or stops) in the background; GET /api/jobs/{id} and its events "
                    + "follow it";
            case 400 -> "Bad request: invalid JSON, field or layer";
            case 401 -> "Missing or wrong API key";
            case 403 -> "A request from another web origin, or a path outside the server's file roots";
            case 404 -> "Unknown model, SAE or file";
            case 409 -> "Conflict: model not loaded, or already loaded";
            case 413 -> "Request body too large";
            case 415 -> "A request that changes state without Content-Type: application/json";
            case 421 -> "The Host header names a host this server does not answer to";
            case 422 -> "The model's files cannot be used: an invalid config.json or weights file";
            default -> "Internal error";
        };
    }
}
