package io.pushrelay.core.sim;

/**
 * The names of every handler the simulators put in a pipeline, in one place so that tests can
 * assert {@code pipeline.names()}. Orders, head first (Netty's own tail context omitted):
 *
 * <ul>
 *   <li>APNS or FCM, before the TLS handshake: {@link #TLS}, {@link #PROTOCOL}</li>
 *   <li>ALPN chose h2: {@link #TLS}, {@link #H2}</li>
 *   <li>no ALPN, waiting for the first 24 bytes: {@link #TLS}, {@link #PREFACE}; then
 *       {@link #TLS}, {@link #H2} when they are the HTTP/2 connection preface (prior knowledge)</li>
 *   <li>FCM over HTTP/1.1 (ALPN {@code http/1.1}, or no ALPN and no preface):
 *       {@link #TLS}, {@link #H1_CODEC}, {@link #H1_AGGREGATOR}, {@link #H1_EXCHANGE}</li>
 *   <li>CONNECT proxy, downstream side while reading the request head:
 *       {@link #CONNECT_DECODER}, {@link #CONNECT}; once the tunnel is up: {@link #TUNNEL}</li>
 *   <li>CONNECT proxy, upstream side: {@link #TUNNEL}</li>
 * </ul>
 */
public final class SimHandlerNames {
    /** {@code SslHandler}: TLS 1.2+ termination. */
    public static final String TLS = "tls";
    /** ALPN outcome: installs h2, HTTP/1.1 or the preface detector; replaces itself. */
    public static final String PROTOCOL = "protocol";
    /** No ALPN: tells the HTTP/2 preface from anything else; replaces itself. */
    public static final String PREFACE = "preface";
    /** HTTP/2 connection handler and frame listener, answering every stream. */
    public static final String H2 = "h2";
    /** HTTP/1.1 request decoder and response encoder. */
    public static final String H1_CODEC = "h1-codec";
    /** HTTP/1.1 body aggregation, with the simulator's body limit. */
    public static final String H1_AGGREGATOR = "h1-aggregator";
    /** HTTP/1.1 exchange: one answer per request, keep-alive honoured. */
    public static final String H1_EXCHANGE = "h1-exchange";
    /** Decodes one HTTP/1.1 request head (authority-form CONNECT); replaces itself. */
    public static final String CONNECT_DECODER = "connect-decoder";
    /** Checks the CONNECT (auth, port, target) and opens the upstream connection. */
    public static final String CONNECT = "connect";
    /** Copies bytes to the other side of the tunnel, reading only when the write succeeded. */
    public static final String TUNNEL = "tunnel";

    private SimHandlerNames() {
    }
}
