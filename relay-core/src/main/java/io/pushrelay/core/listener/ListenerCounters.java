package io.pushrelay.core.listener;

import io.pushrelay.core.inbound.InboundCounters;
import io.pushrelay.core.observe.logging.LogThrottle;
import io.pushrelay.core.observe.metrics.ListenerMetrics;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;

/** What one listener counts, since it was bound. Thread-safe. */
public final class ListenerCounters {
    final LongAdder accepted = new LongAdder();
    final LongAdder refused = new LongAdder();
    final LongAdder gateRefused = new LongAdder();
    final LongAdder tunnels = new LongAdder();
    final LongAdder notTls = new LongAdder();
    final LongAdder tlsHandshakeFailures = new LongAdder();
    final LongAdder tlsHandshakeTimeouts = new LongAdder();
    final LongAdder tlsHandshakeResets = new LongAdder();
    final LongAdder h2Alpn = new LongAdder();
    final LongAdder h2PriorKnowledge = new LongAdder();
    final LongAdder h1Alpn = new LongAdder();
    final LongAdder h1WithoutAlpn = new LongAdder();
    final LongAdder h1Plaintext = new LongAdder();
    /** The listener's per-connection WARN lines (handshake failures), at most one a second of each kind. */
    final LogThrottle warnings = new LogThrottle(Duration.ofSeconds(1));
    private final InboundCounters inbound = new InboundCounters();
    /** Where the Prometheus metrics go, or null. */
    private final ListenerMetrics metrics;

    ListenerCounters() {
        this(null);
    }

    ListenerCounters(ListenerMetrics metrics) {
        this.metrics = metrics;
    }

    /** A handshake failed on our side of the protocol (not a hang-up): the Prometheus counter, if any. */
    void tlsHandshakeFailed() {
        if (metrics != null) {
            metrics.tlsHandshakeFailed();
        }
    }

    /** Connections taken (within the connection limit). */
    public long accepted() {
        return accepted.sum();
    }

    /** Connections closed at once because the listener had its maximum. */
    public long refused() {
        return refused.sum();
    }

    /** Connections the {@link ConnectionGate} closed on arrival (source not allowed, per-client limit). */
    public long gateRefused() {
        return gateRefused.sum();
    }

    /** CONNECT tunnels opened (answered 200 and switched to the inner TLS). */
    public long tunnels() {
        return tunnels.sum();
    }

    /** Connections that sent something other than a TLS ClientHello to the TLS port. */
    public long notTls() {
        return notTls.sum();
    }

    /** TLS handshakes that failed (alerts, no common protocol or cipher, bad client certificate). */
    public long tlsHandshakeFailures() {
        return tlsHandshakeFailures.sum();
    }

    /** TLS handshakes that did not finish within the handshake timeout. */
    public long tlsHandshakeTimeouts() {
        return tlsHandshakeTimeouts.sum();
    }

    /** TLS handshakes the downstream abandoned (closed or reset the connection). */
    public long tlsHandshakeResets() {
        return tlsHandshakeResets.sum();
    }

    /** Connections that chose h2 by ALPN. */
    public long h2Alpn() {
        return h2Alpn.sum();
    }

    /** Connections without ALPN that started with the HTTP/2 preface. */
    public long h2PriorKnowledge() {
        return h2PriorKnowledge.sum();
    }

    /** Connections that chose http/1.1 by ALPN. */
    public long h1Alpn() {
        return h1Alpn.sum();
    }

    /** TLS connections without ALPN that spoke HTTP/1.1. */
    public long h1WithoutAlpn() {
        return h1WithoutAlpn.sum();
    }

    /** Connections to a plaintext listener. */
    public long h1Plaintext() {
        return h1Plaintext.sum();
    }

    /** Request-level counts of this listener's connections. */
    public InboundCounters inbound() {
        return inbound;
    }
}
