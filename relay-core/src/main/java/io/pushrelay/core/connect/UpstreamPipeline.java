package io.pushrelay.core.connect;

/**
 * Names of the handlers in an upstream channel's pipeline. Tests assert {@code pipeline.names()}
 * against these.
 *
 * <p>While connecting ({@link Connector#connect}):
 * <pre>
 *   direct:           UPSTREAM_TLS, CONNECT_WATCH
 *   through a proxy:  [PROXY_TLS,] PROXY_CONNECT, CONNECT_WATCH
 *                     then, on 2xx:  [PROXY_TLS,] UPSTREAM_TLS, CONNECT_WATCH
 * </pre>
 * Once the upstream handshake selected the configured protocol, {@code CONNECT_WATCH} gives way
 * to the caller's handlers; for the upstream pool (h2) and the HTTP/1.1 upstream:
 * <pre>
 *   [PROXY_TLS,] UPSTREAM_TLS, UPSTREAM_FLUSH, UPSTREAM_H2
 *   UPSTREAM_H1_METER, [PROXY_TLS,] UPSTREAM_TLS, UPSTREAM_H1_DECODER, UPSTREAM_H1
 * </pre>
 * A raw tunnel ({@link Connector#tunnel}) has no upstream TLS:
 * <pre>
 *   direct:           CONNECT_WATCH
 *   through a proxy:  [PROXY_TLS,] PROXY_CONNECT, CONNECT_WATCH
 *   handed over:      [PROXY_TLS,] [TUNNEL_HANDOVER,] then the caller's handlers
 * </pre>
 * ({@code TUNNEL_HANDOVER} only when bytes came with the proxy's answer and no handler was given
 * up front.) The HTTP/1.1 upstream to a plain-text {@code http://} endpoint uses such a tunnel:
 * {@code UPSTREAM_H1_METER, [PROXY_TLS,] UPSTREAM_H1_DECODER, UPSTREAM_H1}.
 *
 * <p>A connector built with metrics puts {@code TRAFFIC} first (before {@code PROXY_TLS}, so it
 * counts the bytes on the wire) in every one of these pipelines; the HTTP/1.1 upstream's
 * {@code UPSTREAM_H1_METER} still goes in front of it.
 */
public final class UpstreamPipeline {
    /** Counts the route's upstream bytes on the wire (connectors built with metrics only). */
    public static final String TRAFFIC = "traffic";
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
    /** Holds a raw tunnel's first bytes until the caller's first read (rare: see {@link Connector#tunnel}). */
    public static final String TUNNEL_HANDOVER = "tunnel-handover";
    /** First in the pipeline: counts the bytes the HTTP/1.1 upstream has handed to the socket (retry proof). */
    public static final String UPSTREAM_H1_METER = "upstream-h1-meter";
    /** Decodes HTTP/1.1 responses on a connection of the HTTP/1.1 upstream. */
    public static final String UPSTREAM_H1_DECODER = "upstream-h1-decoder";
    /** One HTTP/1.1 keep-alive connection of the HTTP/1.1 upstream: writes requests, aggregates answers. */
    public static final String UPSTREAM_H1 = "upstream-h1";

    private UpstreamPipeline() {
    }
}
