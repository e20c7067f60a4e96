package io.pushrelay.core.observe.metrics;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.pushrelay.core.observe.logging.LogSetup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's Prometheus metrics, in a registry of its own (never the client library's default
 * one), so that several relays and tests share a JVM without clashing.
 *
 * <p>The engine records through handles it looks up once and keeps: a {@link RouteMetrics}
 * per route ({@link #route(String)}), a {@link ListenerMetrics} per listener
 * ({@link #listener(String)}). Their recording methods touch only label children cached when
 * the handle (or the first use of a status code) made them: no label lookup, no allocation on
 * the per-request path. The rest ({@link #proxyConnectFailed(int)},
 * {@link #tlsHandshakeFailed(TlsSide)}, {@link #upstreamRetried(RetryReason)}) is cached the
 * same way.
 *
 * <p>Thread safety: every method may be called from any thread; recording methods never
 * block. Gauges whose values live elsewhere (upstream pools, certificates) are read through
 * callbacks on the scraping thread.
 *
 * <p>Label sets stay bounded: routes and listeners are the configured ones (past
 * {@value #MAX_ROUTES} routes or {@value #MAX_LISTENERS} listeners the rest are counted
 * under {@value #OVERFLOW}), statuses are 3-digit codes, everything else is a closed enum.
 */
public final class RelayMetrics {
    /** Content type of {@link #scrape()}: Prometheus text format 0.0.4. */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;
    /** The {@code route} label of requests that matched no route. */
    public static final String UNROUTED = "-";
    /** The {@code flag} label of answers the upstream gave (no relay flag). */
    public static final String NO_FLAG = "-";
    /** The {@code route}/{@code listener} label used past the cardinality limits. */
    public static final String OVERFLOW = "other";
    /** The {@code status} label of a CONNECT that got no HTTP answer (proxy unreachable, closed). */
    public static final String NO_STATUS = "none";
    /** Most distinct routes labelled; the rest count under {@value #OVERFLOW}. */
    public static final int MAX_ROUTES = 1000;
    /** Most distinct listeners labelled; the rest count under {@value #OVERFLOW}. */
    public static final int MAX_LISTENERS = 100;
    /** Upper bounds of {@code push_relay_request_duration_seconds}: 0.5 ms to 30 s. */
    public static final List<Double> DURATION_BUCKETS = List.of(
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0);

    static final String REQUESTS = "push_relay_requests_total";
    static final String REQUEST_DURATION = "push_relay_request_duration_seconds";
    static final String UPSTREAM_CONNECT_ATTEMPTS = "push_relay_upstream_connect_attempts_total";
    static final String UPSTREAM_CONNECT_FAILURES = "push_relay_upstream_connect_failures_total";
    static final String UPSTREAM_CONNECTIONS_OPEN = "push_relay_upstream_connections_open";
    static final String UPSTREAM_STREAMS_ACTIVE = "push_relay_upstream_streams_active";
    static final String UPSTREAM_RETRIES = "push_relay_upstream_retries_total";
    static final String UPSTREAM_RX = "push_relay_upstream_rx_bytes_total";
    static final String UPSTREAM_TX = "push_relay_upstream_tx_bytes_total";
    static final String PROXY_CONNECT_FAILURES = "push_relay_proxy_connect_failures_total";
    static final String TLS_HANDSHAKE_FAILURES = "push_relay_tls_handshake_failures_total";
    static final String DOWNSTREAM_ACCEPTED = "push_relay_downstream_connections_accepted_total";
    static final String DOWNSTREAM_REFUSED = "push_relay_downstream_connections_refused_total";
    static final String DOWNSTREAM_OPEN = "push_relay_downstream_connections_open";
    static final String DOWNSTREAM_RX = "push_relay_downstream_rx_bytes_total";
    static final String DOWNSTREAM_TX = "push_relay_downstream_tx_bytes_total";
    static final String CERTIFICATE_EXPIRY = "push_relay_certificate_expiry_days";
    static final String BUILD_INFO = "push_relay_build_info";
    static final String ACCESS_LOG_DROPPED = "push_relay_access_log_dropped_total";
    static final String NETTY_MEMORY = "push_relay_netty_memory_used_bytes";

    private static final Logger LOG = LoggerFactory.getLogger(RelayMetrics.class);
    private static final int STATUS_CODES = 1000;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    private final String version;
    private final Clock clock;

    final Counter requests;
    final Histogram requestDuration;
    final Counter connectAttempts;
    final Counter connectFailures;
    final Counter upstreamRx;
    final Counter upstreamTx;
    final Counter accepted;
    final Counter refused;
    final Counter downstreamRx;
    final Counter downstreamTx;
    private final Counter proxyConnectFailures;
    private final Counter tlsHandshakeFailures;
    private final Counter retries;

    private final AtomicReferenceArray<CounterDataPoint> proxyFailuresByStatus = new AtomicReferenceArray<>(STATUS_CODES);
    private final CounterDataPoint proxyFailuresNoStatus;
    private final IntFunction<String[]> proxyStatusLabels = status -> new String[] {statusLabel(status)};
    private final CounterDataPoint[] tlsFailuresBySide;
    private final CounterDataPoint[] retriesByReason;

    private final Map<String, RouteMetrics> routes = new ConcurrentHashMap<>();
    private final Map<String, ListenerMetrics> listeners = new ConcurrentHashMap<>();
    private volatile RouteMetrics unrouted;
    private final List<PoolEntry> pools = new CopyOnWriteArrayList<>();
    private final List<Supplier<? extends Collection<CertificateExpiry>>> certificates = new CopyOnWriteArrayList<>();
    private volatile boolean routeOverflowLogged;
    private volatile boolean listenerOverflowLogged;
    private volatile String lastCertificateError;

    /** Metrics for this build's version (from the jar manifest), with JVM and process metrics. */
    public static RelayMetrics create() {
        return new RelayMetrics(buildVersion(), true);
    }

    /**
     * @param version        the {@code version} label of {@code push_relay_build_info}
     * @param withJvmMetrics also expose the JVM's memory, GC, threads, buffer pools and the
     *                       process's CPU, memory and file descriptors ({@code jvm_*}, {@code process_*})
     */
    public RelayMetrics(String version, boolean withJvmMetrics) {
        this(version, withJvmMetrics, Clock.systemUTC());
    }

    RelayMetrics(String version, boolean withJvmMetrics, Clock clock) {
        this.version = Objects.requireNonNull(version, "version");
        this.clock = clock;

        requests = counter(REQUESTS, "Requests answered, by route, HTTP status and relay flag (- when the upstream answered).",
                "route", "status", "flag");
        requestDuration = Histogram.builder()
                .name(REQUEST_DURATION)
                .help("Time from a request's headers to the end of its answer, by route.")
                .labelNames("route")
                .classicOnly()
                .classicUpperBounds(DURATION_BUCKETS.stream().mapToDouble(Double::doubleValue).toArray())
                .withoutExemplars()
                .register(registry);
        connectAttempts = counter(UPSTREAM_CONNECT_ATTEMPTS, "Upstream connections the relay began to open, by route.", "route");
        connectFailures = counter(UPSTREAM_CONNECT_FAILURES, "Upstream connections that never became ready, by route and reason.",
                "route", "reason");
        upstreamRx = counter(UPSTREAM_RX, "Bytes received on upstream connections, as on the wire, by route.", "route");
        upstreamTx = counter(UPSTREAM_TX, "Bytes sent on upstream connections, as on the wire, by route.", "route");
        retries = counter(UPSTREAM_RETRIES, "Requests sent upstream again because the upstream provably did not process them, by reason.",
                "reason");
        proxyConnectFailures = counter(PROXY_CONNECT_FAILURES,
                "CONNECT requests to the proxy that failed, by the proxy's answer status (none: no answer).", "status");
        tlsHandshakeFailures = counter(TLS_HANDSHAKE_FAILURES, "TLS handshakes that failed, by side (downstream, upstream).", "side");
        accepted = counter(DOWNSTREAM_ACCEPTED, "Downstream connections accepted, by listener.", "listener");
        refused = counter(DOWNSTREAM_REFUSED,
                "Downstream connections closed at once because the listener was at its connection limit, by listener.", "listener");
        downstreamRx = counter(DOWNSTREAM_RX, "Bytes received on downstream connections, as on the wire, by listener.", "listener");
        downstreamTx = counter(DOWNSTREAM_TX, "Bytes sent on downstream connections, as on the wire, by listener.", "listener");

        GaugeWithCallback.builder().name(DOWNSTREAM_OPEN).help("Downstream connections open, by listener.")
                .labelNames("listener")
                .callback(cb -> listeners.values().forEach(l -> cb.call(l.open(), l.name())))
                .register(registry);
        GaugeWithCallback.builder().name(UPSTREAM_CONNECTIONS_OPEN).help("Upstream connections open, by route.")
                .labelNames("route")
                .callback(cb -> poolSums(true).forEach((route, sum) -> cb.call(sum, route)))
                .register(registry);
        GaugeWithCallback.builder().name(UPSTREAM_STREAMS_ACTIVE).help("Streams in flight on upstream connections, by route.")
                .labelNames("route")
                .callback(cb -> poolSums(false).forEach((route, sum) -> cb.call(sum, route)))
                .register(registry);
        GaugeWithCallback.builder().name(CERTIFICATE_EXPIRY)
                .help("Days until a certificate the relay uses expires (negative once expired), by file and subject.")
                .labelNames("file", "subject")
                .callback(cb -> certificateDays().forEach((key, days) -> cb.call(days, key.file(), key.subject())))
                .register(registry);
        GaugeWithCallback.builder().name(NETTY_MEMORY).help("Memory held by Netty's default buffer allocator, by type (direct, heap).")
                .labelNames("type")
                .callback(RelayMetrics::nettyMemory)
                .register(registry);
        CounterWithCallback.builder().name(ACCESS_LOG_DROPPED)
                .help("Access-log lines dropped because the log writer fell behind (the process's, whatever relay).")
                .callback(cb -> cb.call(LogSetup.accessLinesDropped()))
                .register(registry);
        Info buildInfo = Info.builder().name(BUILD_INFO).help("The relay's build; always 1.")
                .labelNames("version")
                .register(registry);
        buildInfo.setLabelValues(version);

        // Closed label sets start at 0, so that rate() sees the first failure.
        proxyFailuresNoStatus = proxyConnectFailures.labelValues(NO_STATUS);
        tlsFailuresBySide = new CounterDataPoint[TlsSide.values().length];
        for (TlsSide side : TlsSide.values()) {
            tlsFailuresBySide[side.ordinal()] = tlsHandshakeFailures.labelValues(side.label());
        }
        retriesByReason = new CounterDataPoint[RetryReason.values().length];
        for (RetryReason reason : RetryReason.values()) {
            retriesByReason[reason.ordinal()] = retries.labelValues(reason.label());
        }

        if (withJvmMetrics) {
            // Each of these reads MXBeans or /proc at scrape time and keeps no listener or
            // static state (unlike JvmMetrics' allocation listener), so registries can come and go.
            JvmMemoryMetrics.builder().register(registry);
            JvmBufferPoolMetrics.builder().register(registry);
            JvmGarbageCollectorMetrics.builder().register(registry);
            JvmThreadsMetrics.builder().register(registry);
            JvmRuntimeInfoMetric.builder().register(registry);
            ProcessMetrics.builder().register(registry);
        }
    }

    private Counter counter(String name, String help, String... labelNames) {
        return Counter.builder().name(name).help(help).labelNames(labelNames).withoutExemplars().register(registry);
    }

    /**
     * The handle of a route; keep it (the route table is fixed while the relay runs).
     *
     * @param authority the route's configured {@code :authority}
     */
    public RouteMetrics route(String authority) {
        Objects.requireNonNull(authority, "authority");
        if (UNROUTED.equals(authority)) {
            return unrouted();
        }
        RouteMetrics handle = routes.get(authority);
        if (handle != null) {
            return handle;
        }
        if (routes.size() >= MAX_ROUTES) {
            if (!routeOverflowLogged) {
                routeOverflowLogged = true;
                LOG.warn("more than {} routes; metrics of the others are counted under route=\"{}\"", MAX_ROUTES, OVERFLOW);
            }
            return routes.computeIfAbsent(OVERFLOW, a -> new RouteMetrics(this, a));
        }
        return routes.computeIfAbsent(authority, a -> new RouteMetrics(this, a));
    }

    /**
     * The handle for requests that matched no route ({@code route="-"}); its series appear
     * with the first such request.
     */
    public RouteMetrics unrouted() {
        RouteMetrics handle = unrouted;
        if (handle == null) {
            synchronized (this) {
                handle = unrouted;
                if (handle == null) {
                    handle = new RouteMetrics(this, UNROUTED);
                    unrouted = handle;
                }
            }
        }
        return handle;
    }

    /**
     * The handle of a listener; keep it.
     *
     * @param name the listener's configured name (or its bound address)
     */
    public ListenerMetrics listener(String name) {
        Objects.requireNonNull(name, "name");
        ListenerMetrics handle = listeners.get(name);
        if (handle != null) {
            return handle;
        }
        if (listeners.size() >= MAX_LISTENERS) {
            if (!listenerOverflowLogged) {
                listenerOverflowLogged = true;
                LOG.warn("more than {} listeners; metrics of the others are counted under listener=\"{}\"", MAX_LISTENERS, OVERFLOW);
            }
            return listeners.computeIfAbsent(OVERFLOW, n -> new ListenerMetrics(this, n));
        }
        return listeners.computeIfAbsent(name, n -> new ListenerMetrics(this, n));
    }

    /**
     * Counts a failed CONNECT in {@code push_relay_proxy_connect_failures_total{status}}.
     *
     * @param status the proxy's answer status (e.g. 407, 403, 502), or 0 when it gave no HTTP
     *               answer (unreachable, closed, timed out): {@code status="none"}
     */
    public void proxyConnectFailed(int status) {
        if (status == 0) {
            proxyFailuresNoStatus.inc();
        } else {
            cachedByStatus(proxyFailuresByStatus, proxyConnectFailures, status, proxyStatusLabels).inc();
        }
    }

    /** Counts a failed TLS handshake in {@code push_relay_tls_handshake_failures_total{side}}. */
    public void tlsHandshakeFailed(TlsSide side) {
        tlsFailuresBySide[side.ordinal()].inc();
    }

    /** Counts a request sent upstream again in {@code push_relay_upstream_retries_total{reason}}. */
    public void upstreamRetried(RetryReason reason) {
        retriesByReason[reason.ordinal()].inc();
    }

    /**
     * Adds a pool to {@code push_relay_upstream_connections_open{route}} and
     * {@code push_relay_upstream_streams_active{route}}; pools of the same route are summed.
     * Close the registration when the pool closes.
     */
    public Registration registerUpstreamPool(String route, UpstreamPoolStats stats) {
        PoolEntry entry = new PoolEntry(Objects.requireNonNull(route, "route"), Objects.requireNonNull(stats, "stats"));
        pools.add(entry);
        return () -> pools.remove(entry);
    }

    /**
     * Adds certificates to {@code push_relay_certificate_expiry_days{file,subject}}; the
     * supplier is called at every scrape, on the scraping thread, and should return a list it
     * keeps (read the files at start and on reload, not per scrape). A supplier that throws is
     * logged and skipped; the scrape goes on.
     */
    public Registration registerCertificates(Supplier<? extends Collection<CertificateExpiry>> supplier) {
        Supplier<? extends Collection<CertificateExpiry>> entry = Objects.requireNonNull(supplier, "supplier");
        certificates.add(entry);
        return () -> certificates.remove(entry);
    }

    /** Everything, in Prometheus text format 0.0.4 ({@link #CONTENT_TYPE}). */
    public String scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        try {
            scrape(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Writes everything, in Prometheus text format 0.0.4, to {@code out}; does not close it. */
    public void scrape(OutputStream out) throws IOException {
        writer.write(out, registry.scrape());
    }

    /** The registry behind these metrics, for adding more collectors. */
    public PrometheusRegistry registry() {
        return registry;
    }

    /** The {@code version} label of {@code push_relay_build_info}. */
    public String version() {
        return version;
    }

    /** This build's version from the jar manifest, or {@code dev} outside a jar. */
    public static String buildVersion() {
        String v = RelayMetrics.class.getPackage().getImplementationVersion();
        return v == null || v.isBlank() ? "dev" : v;
    }

    /** Current value of {@code push_relay_proxy_connect_failures_total{status}} (0 for none). */
    public long proxyConnectFailures(int status) {
        return status == 0 ? (long) proxyFailuresNoStatus.get()
                : counterValue(proxyConnectFailures, "status", Integer.toString(status));
    }

    /** Current value of {@code push_relay_tls_handshake_failures_total{side}}. */
    public long tlsHandshakeFailures(TlsSide side) {
        return (long) tlsFailuresBySide[side.ordinal()].get();
    }

    /** Current value of {@code push_relay_upstream_retries_total{reason}}. */
    public long upstreamRetries(RetryReason reason) {
        return (long) retriesByReason[reason.ordinal()].get();
    }

    /**
     * The child of {@code counter} for {@code labels(status)}, cached in {@code cache} by code.
     * Codes outside 100-999 share the child labelled {@code invalid} and are not cached.
     */
    static CounterDataPoint cachedByStatus(AtomicReferenceArray<CounterDataPoint> cache, Counter counter, int status,
                                           IntFunction<String[]> labels) {
        if (status < 100 || status >= STATUS_CODES) {
            return counter.labelValues(labels.apply(-1));
        }
        CounterDataPoint child = cache.get(status);
        if (child == null) {
            // Racing threads get the same child: the counter keeps one per label set.
            child = counter.labelValues(labels.apply(status));
            cache.set(status, child);
        }
        return child;
    }

    /** A status code as a label value: the code, or {@code invalid} for -1. */
    static String statusLabel(int status) {
        return status < 0 ? "invalid" : Integer.toString(status);
    }

    /**
     * A counter's current value for a label set, 0 if it has none, without creating the child.
     *
     * @param namesAndValues label name, value, name, value...
     */
    static long counterValue(Counter counter, String... namesAndValues) {
        Labels wanted = Labels.of(namesAndValues);
        for (CounterSnapshot.CounterDataPointSnapshot point : counter.collect().getDataPoints()) {
            if (point.getLabels().equals(wanted)) {
                return (long) point.getValue();
            }
        }
        return 0;
    }

    private Map<String, Integer> poolSums(boolean connections) {
        Map<String, Integer> sums = new LinkedHashMap<>();
        for (PoolEntry pool : pools) {
            int value;
            try {
                value = connections ? pool.stats().connectionsOpen() : pool.stats().streamsActive();
            } catch (RuntimeException e) {
                LOG.warn("upstream pool of route {} failed to report its gauges: {}", pool.route(), e.toString());
                continue;
            }
            sums.merge(pool.route(), value, Integer::sum);
        }
        return sums;
    }

    private Map<CertificateKey, Double> certificateDays() {
        Instant now = clock.instant();
        Map<CertificateKey, Double> days = new LinkedHashMap<>();
        for (Supplier<? extends Collection<CertificateExpiry>> supplier : certificates) {
            Collection<CertificateExpiry> list;
            try {
                list = supplier.get();
            } catch (RuntimeException e) {
                String message = e.toString();
                if (!message.equals(lastCertificateError)) {
                    lastCertificateError = message;
                    LOG.warn("certificate expiry not reported: {}", message);
                }
                continue;
            }
            for (CertificateExpiry c : list) {
                // One file may be registered twice; a label set may appear only once.
                days.merge(new CertificateKey(c.file(), c.subject()), c.daysLeft(now), Math::min);
            }
        }
        return days;
    }

    private static void nettyMemory(GaugeWithCallback.Callback callback) {
        if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
            ByteBufAllocatorMetric metric = provider.metric();
            callback.call(metric.usedDirectMemory(), "direct");
            callback.call(metric.usedHeapMemory(), "heap");
        }
    }

    private record PoolEntry(String route, UpstreamPoolStats stats) {
    }

    private record CertificateKey(String file, String subject) {
    }
}
