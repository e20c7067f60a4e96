package io.pushrelay.core.listener;

/**
 * The name of every handler in a downstream connection's pipeline. The order, head first
 * (Netty's own tail context follows the last one), per listener kind:
 *
 * <pre>
 * TLS-terminating listener
 *   accepted                          idle, sni, alpn, errors
 *   ClientHello read (SNI chosen)     idle, tls, alpn, errors
 *   ALPN h2                           idle, tls, h2, errors
 *   ALPN http/1.1                     idle, tls, h1-decoder, h1-encoder, h1, errors
 *   no ALPN, before 24 bytes          idle, tls, h2-preface, errors
 *   no ALPN, h2 preface               idle, tls, h2, errors
 *   no ALPN, anything else            idle, tls, h1-decoder, h1-encoder, h1, errors
 *
 * plaintext HTTP/1.1 listener         idle, h1-decoder, h1-encoder, h1, errors
 *
 * CONNECT tunnel (TLS listener, after the 200 to an HTTP/1.1 CONNECT)
 *   200 written                       idle, tls, tunnel-sni, alpn, errors
 *   inner ClientHello read            idle, tls, tunnel-tls, alpn, errors
 *   inner ALPN h2 (or h2 preface)     idle, tls, tunnel-tls, h2, errors
 *   inner ALPN http/1.1 (or none)     idle, tls, tunnel-tls, h1-decoder, h1-encoder, h1, errors
 * </pre>
 *
 * <p>{@link #SNI} replaces itself with {@link #TLS} once it has read the ClientHello;
 * {@link #ALPN} replaces itself with the protocol's handlers once the handshake is done, and
 * {@link #H2_PREFACE} with HTTP/2 or HTTP/1.1 handlers once the first decrypted bytes tell.
 * An allowed {@code CONNECT} replaces the HTTP/1.1 handlers with {@link #TUNNEL_SNI} and
 * {@link #ALPN} (see {@link TunnelSwitch}), which then go the same way inside the tunnel.
 */
public final class PipelineNames {
    /** {@link io.netty.handler.timeout.IdleStateHandler}: the idle timeout. */
    public static final String IDLE = "idle";
    /** {@link RelaySniHandler}: reads the ClientHello's server name, picks the certificate. */
    public static final String SNI = "sni";
    /** {@link io.netty.handler.ssl.SslHandler}: TLS 1.2/1.3 with the chosen certificate. */
    public static final String TLS = "tls";
    /** {@link RelaySniHandler} inside a CONNECT tunnel: the inner ClientHello's server name. */
    public static final String TUNNEL_SNI = "tunnel-sni";
    /** {@link io.netty.handler.ssl.SslHandler} inside a CONNECT tunnel: the inner TLS, terminated here. */
    public static final String TUNNEL_TLS = "tunnel-tls";
    /** {@link ProtocolNegotiationHandler}: h2 or http/1.1 by ALPN; reports failed handshakes. */
    public static final String ALPN = "alpn";
    /** {@link H2PrefaceDetector}: without ALPN, h2 prior knowledge or HTTP/1.1. */
    public static final String H2_PREFACE = "h2-preface";
    /** {@link io.pushrelay.core.inbound.H2InboundHandler}: HTTP/2 server side. */
    public static final String H2 = "h2";
    /** {@link io.pushrelay.core.inbound.H1RequestDecoder}: strict HTTP/1.1 request decoding. */
    public static final String H1_DECODER = "h1-decoder";
    /** {@link io.netty.handler.codec.http.HttpResponseEncoder}. */
    public static final String H1_ENCODER = "h1-encoder";
    /** {@link io.pushrelay.core.inbound.H1InboundHandler}: HTTP/1.1 exchanges, in order. */
    public static final String H1 = "h1";
    /** {@link ConnectionErrorHandler}: last; logs what no one handled and closes. */
    public static final String ERRORS = "errors";

    private PipelineNames() {
    }
}
