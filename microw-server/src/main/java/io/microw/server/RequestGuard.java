package io.microw.server;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;

import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Keeps web pages other than the server's own from driving it. A server on 127.0.0.1 is reachable by every page its
 * user opens: a page may post to it (a no-cors fetch, a form), and a page whose domain re-resolves to 127.0.0.1 (DNS
 * rebinding) may even read its answers. So every request must name an accepted host in its {@code Host} header
 * (else 421), and every API request must come from the server's own origin or an allowed one (else 403) and, when it
 * changes state, carry a JSON body type (else 415), which no form and no no-cors fetch can send.
 */
final class RequestGuard {

    /** Host names every server answers to. */
    private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]");
    /** Bind addresses that mean "every interface": no request names them, so they are not accepted as a Host. */
    private static final Set<String> WILDCARD = Set.of("0.0.0.0", "[::]", "[0:0:0:0:0:0:0:0]");

    private final Set<String> hosts = new LinkedHashSet<>();
    private final Set<String> origins;

    /**
     * A guard for a server bound to {@code config.host()} with the origins and hosts {@code config} allows.
     *
     * @param config the server's configuration
     */
    RequestGuard(ServerConfig config) {
        hosts.addAll(LOOPBACK);
        String bound = config.host().toLowerCase(Locale.ROOT);
        if (bound.contains(":") && !bound.startsWith("[")) {
            bound = "[" + bound + "]"; // an IPv6 address, as a Host header writes it
        }
        if (!WILDCARD.contains(bound)) {
            hosts.add(bound);
        }
        hosts.addAll(config.allowedHosts());
        origins = Set.copyOf(config.allowedOrigins());
    }

    /**
     * Whether a request with this method may change state: anything but GET, HEAD and OPTIONS.
     *
     * @param method the request's method
     * @return true for POST, PUT, DELETE, PATCH and the like
     */
    static boolean changesState(HandlerType method) {
        return method != HandlerType.GET && method != HandlerType.HEAD && method != HandlerType.OPTIONS;
    }

    /**
     * Every request, static pages included: 421 unless the Host header names an accepted host, and the port the
     * request came in on when it names a port.
     *
     * @param ctx the request
     */
    void checkHost(Context ctx) {
        checkHost(ctx.header("Host"), ctx.req().getLocalPort());
    }

    /**
     * 421 unless {@code header} names an accepted host, and {@code localPort} when it names a port.
     *
     * @param header    the Host header, or null
     * @param localPort the port the request came in on
     */
    void checkHost(String header, int localPort) {
        if (header == null || header.isBlank()) {
            throw new ApiException(421, "the request has no Host header; send the host and port you connect to");
        }
        String value = header.strip().toLowerCase(Locale.ROOT);
        int portAt = value.startsWith("[") ? value.indexOf("]:") + 1 : value.lastIndexOf(':');
        String name = portAt > 0 ? value.substring(0, portAt) : value;
        if (portAt > 0) {
            String port = value.substring(portAt + 1);
            if (!port.equals(Integer.toString(localPort))) {
                throw new ApiException(421, "the Host header '" + header + "' names port " + port + ", but this server "
                        + "listens on port " + localPort);
            }
        }
        if (!hosts.contains(name)) {
            throw new ApiException(421, "the Host header '" + header + "' names a host this server does not answer to; "
                    + "it answers to localhost, 127.0.0.1, [::1], the address it binds and names given with "
                    + "--allowed-host");
        }
    }

    /**
     * Every API request, after {@link #checkHost}: 403 when it comes from a foreign web origin (its {@code Origin}
     * is neither the server's own, {@code http://} and the Host header, nor an allowed one; or, without an Origin,
     * its {@code Sec-Fetch-Site} is neither same-origin nor none), 415 when it changes state without
     * {@code Content-Type: application/json}.
     *
     * @param ctx the request
     */
    void checkApi(Context ctx) {
        String origin = ctx.header("Origin");
        if (origin != null) {
            String own = "http://" + ctx.header("Host").strip().toLowerCase(Locale.ROOT);
            String given = origin.strip().toLowerCase(Locale.ROOT);
            if (!given.equals(own) && !origins.contains(given)) {
                throw new ApiException(403, "cross-origin request refused: Origin '" + origin + "' is not this "
                        + "server's own origin " + own + "; start the server with --allowed-origin " + origin
                        + " if you trust that site");
            }
        } else {
            String site = ctx.header("Sec-Fetch-Site");
            if (site != null && !site.equalsIgnoreCase("same-origin") && !site.equalsIgnoreCase("none")) {
                throw new ApiException(403, "cross-site request refused (Sec-Fetch-Site: " + site + "); only this "
                        + "server's own pages and programs that are not browsers may call the API");
            }
        }
        if (changesState(ctx.method())) {
            String type = ctx.header("Content-Type");
            String media = type == null ? "" : type.split(";", 2)[0].strip();
            if (!media.equalsIgnoreCase("application/json")) {
                throw new ApiException(415, ctx.req().getMethod() + " " + ctx.path() + " needs Content-Type: "
                        + "application/json (the body may be empty), got " + (type == null ? "none" : "'" + type + "'"));
            }
        }
    }
}
