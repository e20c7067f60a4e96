package io.pushrelay.core.connect;

/**
 * Names of the handlers in an upstream channel's pipeline. Tests assert {@code pipeline.names()}
 * against these.
 *
 * <p>While connecting (the {@link Connector}):
 * <pre>
 *   direct:           UPSTREAM_TLS, CONNECT_WATCH
 *   through a proxy:  [PROXY_TLS,] PROXY_CONNECT, CONNECT_WATCH
 *                     then, on 2xx:  [PROXY_TLS,] UPSTREAM_TLS, CONNECT_WATCH
 * </pre>
 * Once the upstream handshake selected {@code h2}, {@code CONNECT_WATCH} gives way to the
 * caller's handlers; for the upstream pool:
 * <pre>
 *   [PROXY_TLS,] UPSTREAM_TLS, UPSTREAM_FLUSH, UPSTREAM_H2
 * </pre>
 */
public final class UpstreamPipeline {
    /** TLS to an {@code https://} proxy itself. */
    public static final String PROXY_TLS = "proxy-tls";
    /** Sends {@code CONNECT host:port}, reads the answer, then removes itself. */
    public static final String PROXY_CONNECT = "proxy-connect";
    /** TLS to the upstream: SNI and name check against the route's authority, ALPN h2. */
    public static final String UPSTREAM_TLS = "upstream-tls";
    /** Watches the connection until it is usable and maps failures to {@link ConnectorException}. */
    public static final String CONNECT_WATCH = "connect-watch";
    /** Consolidates flushes of many small HTTP/2 writes into fewer TLS records. */
    public static final String UPSTREAM_FLUSH = "upstream-flush";
    /** The HTTP/2 client connection handler of the upstream pool. */
    public static final String UPSTREAM_H2 = "upstream-h2";

    private UpstreamPipeline() {
    }
}
