package io.pushrelay.core.observe.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import java.util.concurrent.atomic.LongAdder;

/**
 * The metrics of one listener ({@code listener} label): downstream connections accepted,
 * refused at the connection limit and open, bytes in and out. Got once from
 * {@link RelayMetrics#listener(String)} and kept by the listener.
 *
 * <p>Thread safety: any thread; nothing blocks or allocates.
 */
public final class ListenerMetrics {
    private final RelayMetrics metrics;
    private final String name;
    private final CounterDataPoint accepted;
    private final CounterDataPoint refused;
    private final CounterDataPoint rx;
    private final CounterDataPoint tx;
    private final LongAdder open = new LongAdder();

    ListenerMetrics(RelayMetrics metrics, String name) {
        this.metrics = metrics;
        this.name = name;
        this.accepted = metrics.accepted.labelValues(name);
        this.refused = metrics.refused.labelValues(name);
        this.rx = metrics.downstreamRx.labelValues(name);
        this.tx = metrics.downstreamTx.labelValues(name);
    }

    /** The {@code listener} label. */
    public String name() {
        return name;
    }

    /**
     * A downstream connection was accepted and kept: {@code push_relay_downstream_connections_accepted_total}
     * and {@code push_relay_downstream_connections_open} go up. Pair with {@link #connectionClosed()}.
     */
    public void connectionAccepted() {
        accepted.inc();
        open.increment();
    }

    /** An accepted connection closed: {@code push_relay_downstream_connections_open} goes down. */
    public void connectionClosed() {
        open.decrement();
    }

    /**
     * A downstream connection was closed at once because the listener was at its connection
     * limit: {@code push_relay_downstream_connections_refused_total}. Not counted as accepted
     * or open.
     */
    public void connectionRefused() {
        refused.inc();
    }

    /** A downstream TLS handshake failed: {@code push_relay_tls_handshake_failures_total{side="downstream"}}. */
    public void tlsHandshakeFailed() {
        metrics.tlsHandshakeFailed(TlsSide.DOWNSTREAM);
    }

    /** Bytes read from a downstream connection: {@code push_relay_downstream_rx_bytes_total}. */
    public void received(long bytes) {
        rx.inc(bytes);
    }

    /** Bytes written to a downstream connection: {@code push_relay_downstream_tx_bytes_total}. */
    public void sent(long bytes) {
        tx.inc(bytes);
    }

    /** Current value of {@code push_relay_downstream_connections_open}. */
    public long open() {
        return open.sum();
    }

    /** Current value of {@code push_relay_downstream_connections_accepted_total}. */
    public long accepted() {
        return (long) accepted.get();
    }

    /** Current value of {@code push_relay_downstream_connections_refused_total}. */
    public long refused() {
        return (long) refused.get();
    }

    /** Current value of {@code push_relay_downstream_rx_bytes_total}. */
    public long rxBytes() {
        return (long) rx.get();
    }

    /** Current value of {@code push_relay_downstream_tx_bytes_total}. */
    public long txBytes() {
        return (long) tx.get();
    }
}
