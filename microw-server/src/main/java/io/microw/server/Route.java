package io.microw.server;

import io.javalin.http.Handler;
import io.javalin.http.HandlerType;

import java.util.Map;

/**
 * One API route: the server registers exactly these with Javalin and describes exactly these in its OpenAPI
 * document.
 *
 * @param method HTTP method
 * @param path Javalin path, with {@code {param}} placeholders (OpenAPI's syntax too)
 * @param summary one line for the OpenAPI document
 * @param tag the group it belongs to
 * @param requestExample an example JSON body, or null for routes without one
 * @param statuses the status codes it can answer with
 * @param handler what serves it
 * @param requestSchema the name of the schema (in {@code openapi-schemas.json}) of its body, or null for a plain
 *                      object
 * @param responseSchemas the names of the schemas of its answers by status; a status not named is a plain object
 */
record Route(HandlerType method, String path, String summary, String tag, String requestExample, int[] statuses,
             Handler handler, String requestSchema, Map<Integer, String> responseSchemas) {

    /** A route whose body and answers the OpenAPI document describes as plain objects. */
    Route(HandlerType method, String path, String summary, String tag, String requestExample, int[] statuses,
          Handler handler) {
        this(method, path, summary, tag, requestExample, statuses, handler, null, Map.of());
    }
}
