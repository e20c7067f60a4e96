package io.pushrelay.core.observe.metrics;

/**
 * Why an upstream connection could not be made ready for streams; the {@code reason} label of
 * {@code push_relay_upstream_connect_failures_total}. Closed, so the label set stays bounded.
 */
public enum ConnectFailure {
    /** The upstream (or proxy) name did not resolve. */
    DNS("dns"),
    /** TCP connection refused or unreachable (to the upstream, or to the proxy). */
    REFUSED("refused"),
    /** TCP connect, CONNECT answer, TLS handshake or the first SETTINGS took too long. */
    TIMEOUT("timeout"),
    /** The proxy answered the CONNECT with something other than 2xx. */
    PROXY_REFUSED("proxy_refused"),
    /** The TLS handshake failed (certificate, name, protocol, ALPN other than h2). */
    TLS("tls"),
    /** The peer closed the connection before it was ready (no SETTINGS, early GOAWAY). */
    CLOSED("closed"),
    /** Anything else. */
    OTHER("other");

    private final String label;

    ConnectFailure(String label) {
        this.label = label;
    }

    /** The label value. */
    public String label() {
        return label;
    }
}
