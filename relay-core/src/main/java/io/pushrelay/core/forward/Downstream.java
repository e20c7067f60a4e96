package io.pushrelay.core.forward;

import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;

/**
 * The downstream connection a request came on, as the policy sees it: where it comes from,
 * on which listener, and the client certificate the TLS handshake verified (null when the
 * listener asks for none, or on a plaintext listener), and, for requests inside a
 * {@code CONNECT} tunnel the relay terminated, the tunnel's target. One per connection,
 * immutable.
 *
 * @param address           the remote address of the downstream connection
 * @param id                the short connection id also carried by {@link RelayRequest#downstreamId()}
 * @param listener          the name of the listener that accepted the connection
 * @param clientCertificate the verified client certificate, or null
 * @param tunnel            the {@code host:port} of the {@code CONNECT} this connection now carries
 *                          the terminated tunnel of, or null when it is no tunnel
 */
public record Downstream(InetSocketAddress address, String id, String listener, X509Certificate clientCertificate,
                         String tunnel) {

    /** A connection that carries no tunnel. */
    public Downstream(InetSocketAddress address, String id, String listener, X509Certificate clientCertificate) {
        this(address, id, listener, clientCertificate, null);
    }

    /** What a request alone tells about its connection: address and id, no listener, no certificate. */
    public static Downstream of(RelayRequest request) {
        return new Downstream(request.downstream(), request.downstreamId(), "-", null, null);
    }

    /** {@code address [id]}, for logs. */
    @Override
    public String toString() {
        return format(address) + " [" + id + "]";
    }

    /** {@code 192.0.2.1:443} or {@code [2001:db8::1]:443}; {@code -} for null. */
    public static String format(InetSocketAddress address) {
        if (address == null) {
            return "-";
        }
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
