package io.pushrelay.core.upstream;

import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import java.util.Locale;

/**
 * The one endpoint an {@link Http1Upstream} sends every request to: relay-post, as
 * {@code via: {url: https://HOST:PORT}} names it. Immutable.
 *
 * @param tls  {@code https}: TLS to the endpoint (SNI and certificate check on {@code host});
 *             {@code http}: plain text
 * @param host the endpoint's name or address, as in the URL (no brackets)
 * @param port the endpoint's port
 */
public record ViaEndpoint(boolean tls, String host, int port) {
    public ViaEndpoint {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("via host is empty");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        host = host.toLowerCase(Locale.ROOT);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("via port " + port + " out of range 1-65535");
        }
    }

    /**
     * The route the {@link io.pushrelay.core.connect.Connector} opens connections with:
     * {@code host:port}, with {@code host} as the authority too (SNI and certificate name). The
     * kind plays no part in connecting.
     */
    public Route route() {
        return Route.of(RouteKind.APNS, host, host, port);
    }

    /**
     * {@code host[:port]}, as a {@code Host} header names this endpoint: the port left out when it
     * is the scheme's default.
     */
    public String hostHeader() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return port == (tls ? 443 : 80) ? h : h + ":" + port;
    }

    /** {@code https://host:port} or {@code http://host:port}. */
    @Override
    public String toString() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return (tls ? "https://" : "http://") + h + ":" + port;
    }
}
