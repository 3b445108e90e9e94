package io.microw.server;

import io.javalin.http.Handler;
import io.javalin.http.HandlerType;

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
 */
record Route(HandlerType method, String path, String summary, String tag, String requestExample, int[] statuses,
             Handler handler) {
}
