package io.pushrelay.core.upstream;

import java.time.Duration;
import java.util.Objects;

/**
 * How the {@link Http1Upstream} uses its connections. Immutable; start from {@link #defaults()}.
 *
 * @param maxConnectionsPerLoop HTTP/1.1 connections to the via endpoint <em>per event loop</em>;
 *                              each carries one request at a time (no pipelining)
 * @param maxPendingPerLoop     requests an event loop may queue while all its connections are
 *                              busy or opening; beyond that they are answered {@code OVERLOADED}
 * @param requestTimeout        from {@code send} to the full answer; then {@code UPSTREAM_TIMEOUT}
 *                              and the connection carrying the request is closed (HTTP/1.1 has no
 *                              other way to cancel a request)
 * @param idleTimeout           a keep-alive connection without a request for this long is closed
 *                              by the relay; keep it below the idle timeout of the next hop (the
 *                              proxy's {@code client_idle_pconn_timeout}, relay-post's), so that the
 *                              relay, not the peer, closes idle connections and the keep-alive race
 *                              stays rare; zero keeps idle connections open
 * @param backoffMin            wait after the first failed connect before the next attempt
 * @param backoffMax            the longest wait, reached by doubling; while waiting, requests with
 *                              no connection to wait for fail at once with the last connect error
 * @param maxResponseBytes      a larger response body closes the connection and answers
 *                              {@code UPSTREAM_RESET}
 * @param maxResponseHeadBytes  the most bytes of a response head (status line plus header fields)
 * @param authority             where the request's authority travels; see {@link AuthorityHeader}
 */
public record Http1UpstreamConfig(int maxConnectionsPerLoop, int maxPendingPerLoop, Duration requestTimeout,
                                  Duration idleTimeout, Duration backoffMin, Duration backoffMax,
                                  int maxResponseBytes, int maxResponseHeadBytes, AuthorityHeader authority) {

    /** Where the authority a request is meant for (e.g. {@code api.push.apple.com}) travels. */
    public enum AuthorityHeader {
        /**
         * {@code Host: <via host[:port]>}, the endpoint the connection goes to, and
         * {@code Forwarded: host="<authority>";proto=https} (RFC 7239 5.3). The default: a
         * TLS-inspecting proxy checks {@code Host} against the tunnel it bumped (Squid with
         * {@code ssl_bump} answers 503 {@code ERR_CANNOT_FORWARD} when {@code Host} names another
         * host or port), so only this shape passes one. relay-post must route by the
         * {@code Forwarded} {@code host} when present. Any {@code Forwarded} header of the request
         * itself is dropped: relay-pre is where the chain starts.
         */
        FORWARDED,
        /**
         * {@code Host: <authority>}. Works directly and through a {@code CONNECT}-only proxy; through
         * a TLS-inspecting proxy only when the via endpoint's own name and port are the
         * authority's (the proxy's DNS sends {@code api.push.apple.com} to relay-post).
         */
        HOST
    }

    public Http1UpstreamConfig {
        if (maxConnectionsPerLoop < 1) {
            throw new IllegalArgumentException("maxConnectionsPerLoop must be at least 1, got "
                    + maxConnectionsPerLoop);
        }
        if (maxPendingPerLoop < 0) {
            throw new IllegalArgumentException("maxPendingPerLoop must not be negative, got " + maxPendingPerLoop);
        }
        positive(requestTimeout, "requestTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idleTimeout must not be negative, got " + idleTimeout);
        }
        positive(backoffMin, "backoffMin");
        positive(backoffMax, "backoffMax");
        if (backoffMax.compareTo(backoffMin) < 0) {
            throw new IllegalArgumentException("backoffMax " + backoffMax + " is below backoffMin " + backoffMin);
        }
        if (maxResponseBytes < 1) {
            throw new IllegalArgumentException("maxResponseBytes must be positive, got " + maxResponseBytes);
        }
        if (maxResponseHeadBytes < 1024) {
            throw new IllegalArgumentException("maxResponseHeadBytes must be at least 1024, got "
                    + maxResponseHeadBytes);
        }
        Objects.requireNonNull(authority, "authority");
    }

    /**
     * 32 connections and 1000 pending requests per event loop, 10 s request timeout, idle close
     * after 30 s, backoff 100 ms doubling to 10 s, 1 MiB response bodies, 16 KiB response heads,
     * authority in {@code Forwarded}.
     */
    public static Http1UpstreamConfig defaults() {
        return new Http1UpstreamConfig(32, 1000, Duration.ofSeconds(10), Duration.ofSeconds(30),
                Duration.ofMillis(100), Duration.ofSeconds(10), 1 << 20, 16 * 1024, AuthorityHeader.FORWARDED);
    }

    public Http1UpstreamConfig withMaxConnectionsPerLoop(int n) {
        return new Http1UpstreamConfig(n, maxPendingPerLoop, requestTimeout, idleTimeout, backoffMin, backoffMax,
                maxResponseBytes, maxResponseHeadBytes, authority);
    }

    public Http1UpstreamConfig withMaxPendingPerLoop(int n) {
        return new Http1UpstreamConfig(maxConnectionsPerLoop, n, requestTimeout, idleTimeout, backoffMin, backoffMax,
                maxResponseBytes, maxResponseHeadBytes, authority);
    }

    public Http1UpstreamConfig withRequestTimeout(Duration d) {
        return new Http1UpstreamConfig(maxConnectionsPerLoop, maxPendingPerLoop, d, idleTimeout, backoffMin,
                backoffMax, maxResponseBytes, maxResponseHeadBytes, authority);
    }

    public Http1UpstreamConfig withIdleTimeout(Duration d) {
        return new Http1UpstreamConfig(maxConnectionsPerLoop, maxPendingPerLoop, requestTimeout, d, backoffMin,
                backoffMax, maxResponseBytes, maxResponseHeadBytes, authority);
    }

    public Http1UpstreamConfig withBackoff(Duration min, Duration max) {
        return new Http1UpstreamConfig(maxConnectionsPerLoop, maxPendingPerLoop, requestTimeout, idleTimeout, min,
                max, maxResponseBytes, maxResponseHeadBytes, authority);
    }

    public Http1UpstreamConfig withMaxResponseBytes(int n) {
        return new Http1UpstreamConfig(maxConnectionsPerLoop, maxPendingPerLoop, requestTimeout, idleTimeout,
                backoffMin, backoffMax, n, maxResponseHeadBytes, authority);
    }

    public Http1UpstreamConfig withMaxResponseHeadBytes(int n) {
        return new Http1UpstreamConfig(maxConnectionsPerLoop, maxPendingPerLoop, requestTimeout, idleTimeout,
                backoffMin, backoffMax, maxResponseBytes, n, authority);
    }

    public Http1UpstreamConfig withAuthority(AuthorityHeader a) {
        return new Http1UpstreamConfig(maxConnectionsPerLoop, maxPendingPerLoop, requestTimeout, idleTimeout,
                backoffMin, backoffMax, maxResponseBytes, maxResponseHeadBytes, a);
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }
}
