package io.pushrelay.core.sim;

/**
 * What one downstream connection to a simulator did, as of a snapshot.
 *
 * @param id        short connection id, as in the simulator's log lines
 * @param remote    the client's address, {@code ip:port}
 * @param protocol  {@code h2} (ALPN), {@code h2-prior-knowledge} (no ALPN, HTTP/2 preface),
 *                  {@code http/1.1}, or {@code -} before the protocol was known
 * @param identity  the APNS team (JWT {@code iss}) or the client certificate's subject, else {@code -}
 * @param streams   requests (h2 streams or HTTP/1.1 requests) received
 * @param accepted  requests answered 200
 * @param rejected  requests answered with an error
 * @param open      whether the connection was still open
 */
public record ConnectionStats(String id, String remote, String protocol, String identity, long streams,
                              long accepted, long rejected, boolean open) {
}
