package io.pushrelay.core.observe.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayResponse;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;

/**
 * The metrics of one route ({@code route} label = its {@code :authority}), or of requests that
 * matched none ({@link RelayMetrics#unrouted()}). Got once from {@link RelayMetrics#route(String)}
 * and kept by whoever serves the route: the forwarder records answers, the upstream pool and
 * connector record connections, bytes and pool gauges.
 *
 * <p>Thread safety: any thread; recording never blocks and, once a status code has been seen,
 * never allocates.
 */
public final class RouteMetrics {
    private static final double NANOS_PER_SECOND = 1e9;

    private final RelayMetrics metrics;
    private final String route;
    private final DistributionDataPoint duration;
    private final CounterDataPoint attempts;
    private final CounterDataPoint[] failuresByReason;
    private final CounterDataPoint rx;
    private final CounterDataPoint tx;
    private final AtomicReferenceArray<CounterDataPoint> upstreamAnswersByStatus = new AtomicReferenceArray<>(1000);
    private final AtomicReferenceArray<CounterDataPoint> relayAnswersByError =
            new AtomicReferenceArray<>(RelayError.values().length);
    private final TrafficCountingHandler trafficHandler;
    private final IntFunction<String[]> upstreamAnswerLabels;

    RouteMetrics(RelayMetrics metrics, String route) {
        this.metrics = metrics;
        this.route = route;
        this.duration = metrics.requestDuration.labelValues(route);
        this.attempts = metrics.connectAttempts.labelValues(route);
        this.failuresByReason = new CounterDataPoint[ConnectFailure.values().length];
        for (ConnectFailure reason : ConnectFailure.values()) {
            failuresByReason[reason.ordinal()] = metrics.connectFailures.labelValues(route, reason.label());
        }
        this.rx = metrics.upstreamRx.labelValues(route);
        this.tx = metrics.upstreamTx.labelValues(route);
        this.trafficHandler = new TrafficCountingHandler(rx, tx);
        this.upstreamAnswerLabels = status -> new String[] {route, RelayMetrics.statusLabel(status), RelayMetrics.NO_FLAG};
    }

    /** The {@code route} label. */
    public String route() {
        return route;
    }

    /**
     * An answer the upstream gave: {@code push_relay_requests_total{route,status,flag="-"}}
     * and {@code push_relay_request_duration_seconds{route}}.
     *
     * @param status        the upstream's HTTP status
     * @param durationNanos from the request's headers to the end of its answer ({@link System#nanoTime()})
     */
    public void upstreamAnswered(int status, long durationNanos) {
        RelayMetrics.cachedByStatus(upstreamAnswersByStatus, metrics.requests, status, upstreamAnswerLabels).inc();
        observe(durationNanos);
    }

    /**
     * An answer the relay made: {@code push_relay_requests_total{route,status,flag}} with the
     * error's status and flag, and {@code push_relay_request_duration_seconds{route}}.
     */
    public void relayAnswered(RelayError error, long durationNanos) {
        int i = error.ordinal();
        CounterDataPoint child = relayAnswersByError.get(i);
        if (child == null) {
            child = metrics.requests.labelValues(route, Integer.toString(error.status()), error.flag());
            relayAnswersByError.set(i, child);
        }
        child.inc();
        observe(durationNanos);
    }

    /** {@link #relayAnswered} when the response carries a relay error, else {@link #upstreamAnswered}. */
    public void answered(RelayResponse response, long durationNanos) {
        if (response.error() != null) {
            relayAnswered(response.error(), durationNanos);
        } else {
            upstreamAnswered(response.status(), durationNanos);
        }
    }

    private void observe(long durationNanos) {
        duration.observe(Math.max(0L, durationNanos) / NANOS_PER_SECOND);
    }

    /** An upstream connection began to be opened: {@code push_relay_upstream_connect_attempts_total{route}}. */
    public void connectAttempted() {
        attempts.inc();
    }

    /**
     * An upstream connection never became ready:
     * {@code push_relay_upstream_connect_failures_total{route,reason}}. A refused CONNECT also
     * goes to {@link RelayMetrics#proxyConnectFailed(int)}, and a failed TLS handshake to
     * {@link RelayMetrics#tlsHandshakeFailed(TlsSide)}: the connector calls both.
     */
    public void connectFailed(ConnectFailure reason) {
        failuresByReason[reason.ordinal()].inc();
    }

    /** Bytes read from an upstream connection: {@code push_relay_upstream_rx_bytes_total{route}}. */
    public void upstreamReceived(long bytes) {
        rx.inc(bytes);
    }

    /** Bytes written to an upstream connection: {@code push_relay_upstream_tx_bytes_total{route}}. */
    public void upstreamSent(long bytes) {
        tx.inc(bytes);
    }

    /**
     * A shareable handler that counts every byte of this route's upstream connections; put it
     * first in their pipelines (before the TLS handler, to count what goes on the wire).
     */
    public TrafficCountingHandler upstreamTrafficHandler() {
        return trafficHandler;
    }

    /** Adds a pool serving this route to the upstream gauges; see {@link RelayMetrics#registerUpstreamPool}. */
    public Registration registerPool(UpstreamPoolStats stats) {
        return metrics.registerUpstreamPool(route, stats);
    }

    /** Current count of {@code push_relay_requests_total{route,status,flag}}. */
    public long requests(int status, String flag) {
        return RelayMetrics.counterValue(metrics.requests, "route", route, "status", Integer.toString(status), "flag", flag);
    }

    /** Current count of {@code push_relay_request_duration_seconds{route}}. */
    public long requestDurationCount() {
        return duration.getCount();
    }

    /** Current sum of {@code push_relay_request_duration_seconds{route}}, in seconds. */
    public double requestDurationSum() {
        return duration.getSum();
    }

    /** Current value of {@code push_relay_upstream_connect_attempts_total{route}}. */
    public long connectAttempts() {
        return (long) attempts.get();
    }

    /** Current value of {@code push_relay_upstream_connect_failures_total{route,reason}}. */
    public long connectFailures(ConnectFailure reason) {
        return (long) failuresByReason[reason.ordinal()].get();
    }

    /** Current value of {@code push_relay_upstream_rx_bytes_total{route}}. */
    public long upstreamRxBytes() {
        return (long) rx.get();
    }

    /** Current value of {@code push_relay_upstream_tx_bytes_total{route}}. */
    public long upstreamTxBytes() {
        return (long) tx.get();
    }
}
