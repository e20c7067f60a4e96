package io.pushrelay.core.observe.metrics;

/** Which end of the relay a TLS handshake was with; the {@code side} label. */
public enum TlsSide {
    /** A connection the relay accepted (the push service, the legacy proxy). */
    DOWNSTREAM("downstream"),
    /** A connection the relay made (APNS, FCM, or the TLS proxy in front of them). */
    UPSTREAM("upstream");

    private final String label;

    TlsSide(String label) {
        this.label = label;
    }

    /** The label value. */
    public String label() {
        return label;
    }
}
