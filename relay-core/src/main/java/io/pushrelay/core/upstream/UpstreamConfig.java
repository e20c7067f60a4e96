package io.pushrelay.core.upstream;

import java.time.Duration;
import java.util.Objects;

/**
 * How the {@link UpstreamPool} uses its connections. Immutable; start from {@link #defaults()}.
 *
 * @param maxConnectionsPerKey connections per pool key (route host, port, authority, client
 *                             identity) <em>on each event loop</em>; draining connections do not count
 * @param maxPendingPerKey     requests a key may queue (per event loop) while its connections are
 *                             opening or full; beyond that they are answered {@code OVERLOADED}
 * @param requestTimeout       from {@code send} to the full answer; then {@code UPSTREAM_TIMEOUT}
 *                             (and {@code RST_STREAM CANCEL} upstream)
 * @param pingInterval         a PING goes out after this long without a frame from the upstream;
 *                             zero disables keepalive
 * @param pingTimeout          no PING ack within this: the connection is dead and closed
 * @param idleTimeout          a connection without a stream for this long is closed (GOAWAY);
 *                             zero keeps idle connections open
 * @param backoffMin           wait after the first failed connect before the next attempt
 * @param backoffMax           the longest wait, reached by doubling; while waiting, requests with
 *                             no usable connection fail at once with the last connect error
 * @param maxRetries           how often one request may be retried after the upstream refused it
 *                             (REFUSED_STREAM); retries after a GOAWAY above it have their own
 *                             bound ({@code KeyPool.MAX_GOAWAY_RETRIES}) and the request timeout
 * @param maxResponseBytes     a larger response body resets the stream ({@code UPSTREAM_RESET})
 */
public record UpstreamConfig(int maxConnectionsPerKey, int maxPendingPerKey, Duration requestTimeout,
                             Duration pingInterval, Duration pingTimeout, Duration idleTimeout,
                             Duration backoffMin, Duration backoffMax, int maxRetries, int maxResponseBytes) {
    public UpstreamConfig {
        if (maxConnectionsPerKey < 1) {
            throw new IllegalArgumentException("maxConnectionsPerKey must be at least 1, got " + maxConnectionsPerKey);
        }
        if (maxPendingPerKey < 0) {
            throw new IllegalArgumentException("maxPendingPerKey must not be negative, got " + maxPendingPerKey);
        }
        positive(requestTimeout, "requestTimeout");
        notNegative(pingInterval, "pingInterval");
        positive(pingTimeout, "pingTimeout");
        notNegative(idleTimeout, "idleTimeout");
        positive(backoffMin, "backoffMin");
        positive(backoffMax, "backoffMax");
        if (backoffMax.compareTo(backoffMin) < 0) {
            throw new IllegalArgumentException("backoffMax " + backoffMax + " is below backoffMin " + backoffMin);
        }
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must not be negative, got " + maxRetries);
        }
        if (maxResponseBytes < 1) {
            throw new IllegalArgumentException("maxResponseBytes must be positive, got " + maxResponseBytes);
        }
    }

    /**
     * 4 connections per key and loop, 1000 pending, 10 s request timeout, PING after 60 s quiet
     * (10 s to answer), idle close after 5 min, backoff 100 ms doubling to 10 s, 3 retries,
     * 1 MiB response bodies.
     */
    public static UpstreamConfig defaults() {
        return new UpstreamConfig(4, 1000, Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(10),
                Duration.ofMinutes(5), Duration.ofMillis(100), Duration.ofSeconds(10), 3, 1 << 20);
    }

    public UpstreamConfig withMaxConnectionsPerKey(int n) {
        return new UpstreamConfig(n, maxPendingPerKey, requestTimeout, pingInterval, pingTimeout, idleTimeout,
                backoffMin, backoffMax, maxRetries, maxResponseBytes);
    }

    public UpstreamConfig withMaxPendingPerKey(int n) {
        return new UpstreamConfig(maxConnectionsPerKey, n, requestTimeout, pingInterval, pingTimeout, idleTimeout,
                backoffMin, backoffMax, maxRetries, maxResponseBytes);
    }

    public UpstreamConfig withRequestTimeout(Duration d) {
        return new UpstreamConfig(maxConnectionsPerKey, maxPendingPerKey, d, pingInterval, pingTimeout, idleTimeout,
                backoffMin, backoffMax, maxRetries, maxResponseBytes);
    }

    public UpstreamConfig withPing(Duration interval, Duration timeout) {
        return new UpstreamConfig(maxConnectionsPerKey, maxPendingPerKey, requestTimeout, interval, timeout,
                idleTimeout, backoffMin, backoffMax, maxRetries, maxResponseBytes);
    }

    public UpstreamConfig withIdleTimeout(Duration d) {
        return new UpstreamConfig(maxConnectionsPerKey, maxPendingPerKey, requestTimeout, pingInterval, pingTimeout,
                d, backoffMin, backoffMax, maxRetries, maxResponseBytes);
    }

    public UpstreamConfig withBackoff(Duration min, Duration max) {
        return new UpstreamConfig(maxConnectionsPerKey, maxPendingPerKey, requestTimeout, pingInterval, pingTimeout,
                idleTimeout, min, max, maxRetries, maxResponseBytes);
    }

    public UpstreamConfig withMaxRetries(int n) {
        return new UpstreamConfig(maxConnectionsPerKey, maxPendingPerKey, requestTimeout, pingInterval, pingTimeout,
                idleTimeout, backoffMin, backoffMax, n, maxResponseBytes);
    }

    public UpstreamConfig withMaxResponseBytes(int n) {
        return new UpstreamConfig(maxConnectionsPerKey, maxPendingPerKey, requestTimeout, pingInterval, pingTimeout,
                idleTimeout, backoffMin, backoffMax, maxRetries, n);
    }

    private static void positive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    private static void notNegative(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, got " + d);
        }
    }
}
