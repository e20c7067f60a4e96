package io.pushrelay.core.listener;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * One listener: where it binds, how it speaks, its limits. {@code tls} null makes a plaintext
 * HTTP/1.1 listener (relay-post {@code --plaintext}); otherwise TLS 1.2/1.3 with h2 and
 * http/1.1 by ALPN, and h2 prior knowledge or HTTP/1.1 when the client offers no ALPN.
 *
 * @param name                 for logs and metrics
 * @param address              where to bind (port 0: any free port)
 * @param tls                  certificates; null for plaintext
 * @param handshakeTimeout     from accept to the end of the TLS handshake (each of: ClientHello, handshake)
 * @param idleTimeout          a connection without reads or writes this long is closed (h2: GOAWAY first)
 *                             when no request is in flight; zero disables
 * @param maxConnections       connections beyond this are closed at once, and counted
 * @param maxConcurrentStreams h2 SETTINGS_MAX_CONCURRENT_STREAMS per connection
 * @param maxPipelinedRequests HTTP/1.1 requests read ahead of their answers per connection
 */
public record ListenerConfig(String name, InetSocketAddress address, TlsConfig tls, Duration handshakeTimeout,
                             Duration idleTimeout, int maxConnections, int maxConcurrentStreams,
                             int maxPipelinedRequests) {
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 1000;
    public static final int DEFAULT_MAX_PIPELINED_REQUESTS = 16;

    public ListenerConfig {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("listener name is empty");
        }
        Objects.requireNonNull(address, "listener " + name + ": address");
        Objects.requireNonNull(handshakeTimeout, "listener " + name + ": handshakeTimeout");
        Objects.requireNonNull(idleTimeout, "listener " + name + ": idleTimeout");
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("listener " + name + ": handshake timeout must be positive");
        }
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("listener " + name + ": idle timeout must not be negative");
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("listener " + name + ": maxConnections must be at least 1");
        }
        if (maxConcurrentStreams < 1) {
            throw new IllegalArgumentException("listener " + name + ": maxConcurrentStreams must be at least 1");
        }
        if (maxPipelinedRequests < 1) {
            throw new IllegalArgumentException("listener " + name + ": maxPipelinedRequests must be at least 1");
        }
    }

    /** A TLS listener with the default limits. */
    public static ListenerConfig tls(String name, InetSocketAddress address, TlsConfig tls) {
        return new ListenerConfig(name, address, Objects.requireNonNull(tls, "tls"), DEFAULT_HANDSHAKE_TIMEOUT,
                DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONCURRENT_STREAMS,
                DEFAULT_MAX_PIPELINED_REQUESTS);
    }

    /** A plaintext HTTP/1.1 listener with the default limits. */
    public static ListenerConfig plaintext(String name, InetSocketAddress address) {
        return new ListenerConfig(name, address, null, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
                DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONCURRENT_STREAMS, DEFAULT_MAX_PIPELINED_REQUESTS);
    }

    public boolean isTls() {
        return tls != null;
    }

    public ListenerConfig withHandshakeTimeout(Duration timeout) {
        return new ListenerConfig(name, address, tls, timeout, idleTimeout, maxConnections, maxConcurrentStreams,
                maxPipelinedRequests);
    }

    public ListenerConfig withIdleTimeout(Duration timeout) {
        return new ListenerConfig(name, address, tls, handshakeTimeout, timeout, maxConnections, maxConcurrentStreams,
                maxPipelinedRequests);
    }

    public ListenerConfig withMaxConnections(int max) {
        return new ListenerConfig(name, address, tls, handshakeTimeout, idleTimeout, max, maxConcurrentStreams,
                maxPipelinedRequests);
    }

    public ListenerConfig withMaxConcurrentStreams(int max) {
        return new ListenerConfig(name, address, tls, handshakeTimeout, idleTimeout, maxConnections, max,
                maxPipelinedRequests);
    }

    public ListenerConfig withMaxPipelinedRequests(int max) {
        return new ListenerConfig(name, address, tls, handshakeTimeout, idleTimeout, maxConnections,
                maxConcurrentStreams, max);
    }
}
