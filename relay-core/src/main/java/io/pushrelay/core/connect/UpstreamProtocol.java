package io.pushrelay.core.connect;

/**
 * What the {@link Connector} offers by ALPN in the upstream TLS handshake, and what it accepts.
 */
public enum UpstreamProtocol {
    /**
     * HTTP/2, for APNS and FCM: ALPN offers only {@code h2}, and the upstream must select it; a
     * handshake that ends without it fails ({@link io.pushrelay.core.forward.RelayError#UPSTREAM_TLS_FAILED}).
     */
    H2("h2"),
    /**
     * HTTP/1.1, for the chain to relay-post (through a TLS-inspecting proxy that speaks only
     * HTTP/1.1): ALPN offers only {@code http/1.1}. The upstream may select it or nothing (a TLS
     * server without ALPN speaks HTTP/1.1, RFC 7301 3.1: Squid's ssl-bump selects nothing); a
     * server selecting anything else fails the handshake.
     */
    HTTP_1_1("http/1.1");

    private final String alpnId;

    UpstreamProtocol(String alpnId) {
        this.alpnId = alpnId;
    }

    /** The ALPN protocol id: {@code h2} or {@code http/1.1}. */
    public String alpnId() {
        return alpnId;
    }

    /** Whether an upstream that selected {@code selected} (null: no ALPN) can be used. */
    boolean accepts(String selected) {
        return this == H2 ? alpnId.equals(selected) : selected == null || alpnId.equals(selected);
    }
}
