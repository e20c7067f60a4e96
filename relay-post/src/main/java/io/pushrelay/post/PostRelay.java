package io.pushrelay.post;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.Http2Headers;
import io.pushrelay.core.admin.AdminServer;
import io.pushrelay.core.admin.Readiness;
import io.pushrelay.core.cli.RunningRelay;
import io.pushrelay.core.config.EngineParts;
import io.pushrelay.core.config.PostConfig;
import io.pushrelay.core.config.UpstreamSettings;
import io.pushrelay.core.connect.ClientIdentity;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.connect.ConnectorConfig;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.ExchangeListener;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.listener.ListenerConfig;
import io.pushrelay.core.listener.RelayListener;
import io.pushrelay.core.observe.AccessLog;
import io.pushrelay.core.observe.metrics.CertificateExpiry;
import io.pushrelay.core.observe.metrics.RelayMetrics;
import io.pushrelay.core.observe.metrics.UpstreamPoolStats;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteTable;
import io.pushrelay.core.transport.Transports;
import io.pushrelay.core.upstream.Upstream;
import io.pushrelay.core.upstream.UpstreamConfig;
import io.pushrelay.core.upstream.UpstreamPool;
import io.pushrelay.post.policy.Restrictions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The post-proxy relay, assembled from the engine: one listener (TLS with h2 and http/1.1 by
 * ALPN, optional mutual TLS; or cleartext HTTP/1.1 when the config says {@code plaintext})
 * taking origin-form, absolute-form and {@code CONNECT} requests from a legacy proxy; the
 * {@link Restrictions} (sources and per-client connections at accept, client names and request
 * rate per request, routed destinations only, per-route methods, paths and body limits); and
 * the shared HTTP/2 {@link UpstreamPool}s to APNS/FCM, direct or through an egress proxy
 * (token auth on one pool keyed by team; with {@code upstream.apns-client-cert}, requests
 * without {@code authorization} on a second pool that presents it).
 *
 * <pre>
 * PostRelay relay = PostRelay.start(ConfigLoader.load(file, PostConfig.class));
 * relay.address();                 // the bound listener (the real port when the config said 0)
 * relay.reload(next);              // SIGHUP: certificates, routes, restrictions
 * relay.drain(Duration.ofSeconds(30));
 * relay.close();
 * </pre>
 *
 * <p>Lifecycle: {@link #start} binds everything or fails having bound nothing (and stopped
 * what it started); {@link #drain} stops accepting and lets exchanges in flight finish;
 * {@link #close} stops at once. Methods are callable from any thread but the relay's own event
 * loops.
 */
public final class PostRelay implements RunningRelay<PostConfig> {
    private static final Logger LOG = LoggerFactory.getLogger(PostRelay.class);
    /** The listener's name, in logs and in the {@code listener} label of the metrics. */
    static final String LISTENER = "post";

    private volatile PostConfig config;
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final RelayMetrics metrics;
    private final Restrictions restrictions;
    private final Map<RelayError, LongAdder> relayAnswers = new EnumMap<>(RelayError.class);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<UpstreamPool> pools = new ArrayList<>();
    private RelayListener listener;
    private Forwarder forwarder;
    private AdminServer admin;
    private volatile boolean draining;

    private PostRelay(PostConfig config) {
        this.config = config;
        this.boss = Transports.newGroup("post-accept", 1);
        this.workers = Transports.newWorkerGroup("post-io");
        this.metrics = RelayMetrics.create();
        this.restrictions = Restrictions.from(config);
        for (RelayError error : RelayError.values()) {
            relayAnswers.put(error, new LongAdder());
        }
    }

    /**
     * Starts the relay: listener, upstream pools, admin endpoint. On failure everything started
     * so far is stopped again.
     *
     * @throws IllegalArgumentException when a certificate, key or password file cannot be used
     * @throws IllegalStateException    when an address cannot be bound
     */
    public static PostRelay start(PostConfig config) {
        PostRelay relay = new PostRelay(Objects.requireNonNull(config, "config"));
        try {
            relay.startAll();
            return relay;
        } catch (RuntimeException e) {
            relay.close();
            throw e;
        }
    }

    private void startAll() {
        DeferredUpstream upstream = new DeferredUpstream();
        forwarder = new Forwarder(restrictions.policy(config), upstream, new AccessLog(), exchangeListener());
        listener = RelayListener.bind(listenerConfig(config), boss, workers, forwarder, restrictions.gate(),
                metrics.listener(LISTENER));
        closeables.add(0, listener);
        Set<InetSocketAddress> own = new LinkedHashSet<>(List.of(listener.localAddress(),
                config.listen().toSocketAddress()));
        upstream.set(upstream(own));
        metrics.registerCertificates(this::certificateExpiries);
        admin = new AdminServer();
        closeables.add(0, admin);
        admin.start(config.admin().listen().toSocketAddress(), metrics, this::readiness);
        LOG.info("relay-post ready: {} ({}) => {} ({})", Downstream.format(address()), describeListener(),
                routesText(config.routeTable()), describeUpstream());
    }

    static ListenerConfig listenerConfig(PostConfig config) {
        var limits = config.limits();
        InetSocketAddress address = config.listen().toSocketAddress();
        ListenerConfig listener = config.plaintext()
                ? ListenerConfig.plaintext(LISTENER, address)
                : ListenerConfig.tls(LISTENER, address, EngineParts.tls(config.tls(), config.clientCa()));
        return listener.withHandshakeTimeout(limits.handshakeTimeout())
                .withIdleTimeout(limits.idleTimeout())
                .withMaxConnections(limits.maxConnections());
    }

    private Upstream upstream(Set<InetSocketAddress> avoid) {
        UpstreamSettings up = config.upstream();
        UpstreamConfig poolConfig = UpstreamConfig.defaults()
                .withMaxConnectionsPerKey(up.maxConnectionsPerHost())
                .withRequestTimeout(up.requestTimeout())
                .withPing(up.pingInterval(), UpstreamConfig.defaults().pingTimeout())
                .withIdleTimeout(up.idleTimeout());
        ConnectorConfig base = ConnectorConfig.direct()
                .withConnectTimeout(up.connectTimeout())
                .withAvoid(avoid);
        var proxy = EngineParts.proxy(config.proxy());
        if (proxy.isPresent()) {
            base = base.withProxy(proxy.get());
        }
        if (up.ca() != null) {
            base = base.withUpstreamCa(up.ca());
        }
        Connector tokenConnector = new Connector(base, metrics);
        closeables.add(tokenConnector);
        UpstreamPool tokenPool = new UpstreamPool(tokenConnector, poolConfig, workers);
        pools.add(tokenPool);
        closeables.add(0, tokenPool);
        UpstreamPool certificatePool = null;
        if (up.apnsClientCert() != null) {
            char[] password = up.apnsClientCertPasswordFile() == null ? new char[0]
                    : EngineParts.firstLine(up.apnsClientCertPasswordFile(), "upstream.apns-client-cert-password-file")
                    .toCharArray();
            ClientIdentity identity = ClientIdentity.load(up.apnsClientCert(), password);
            Connector certificateConnector = new Connector(base.withClientCert(identity), metrics);
            closeables.add(certificateConnector);
            certificatePool = new UpstreamPool(certificateConnector, poolConfig, workers);
            pools.add(certificatePool);
            closeables.add(0, certificatePool);
            LOG.info("APNS certificate auth: requests without authorization present {} ({})",
                    identity.certificate().getSubjectX500Principal().getName(), up.apnsClientCert());
        }
        metrics.registerUpstreamPool("all", new PoolStats());
        return certificatePool == null ? tokenPool : new AuthRouting(tokenPool, certificatePool);
    }

    private ExchangeListener exchangeListener() {
        return (request, route, response, answeredNanos) -> {
            long took = answeredNanos - request.receivedNanos();
            (route == null ? metrics.unrouted() : metrics.route(route.authority())).answered(response, took);
            if (response.error() != null) {
                relayAnswers.get(response.error()).increment();
            }
        };
    }

    private List<CertificateExpiry> certificateExpiries() {
        List<CertificateExpiry> out = new ArrayList<>();
        PostConfig c = config;
        if (c.tls() != null) {
            out.addAll(CertificateExpiry.readFile(c.tls().cert()));
        }
        return out;
    }

    private Readiness readiness() {
        if (draining) {
            return Readiness.notReady("draining");
        }
        return listener == null ? Readiness.notReady("listener not bound") : Readiness.READY;
    }

    /** The bound listener address (the real port when the config said 0). */
    public InetSocketAddress address() {
        return listener.localAddress();
    }

    /** The bound admin address. */
    public InetSocketAddress adminAddress() {
        return admin.address();
    }

    /** The config running now (the last one {@link #reload} took). */
    public PostConfig config() {
        return config;
    }

    public RelayListener listener() {
        return listener;
    }

    public RelayMetrics metrics() {
        return metrics;
    }

    /** The restrictions with their refusal counters. */
    public Restrictions restrictions() {
        return restrictions;
    }

    /** How many answers the relay made itself with {@code error} (refusals and faults), since start. */
    public long relayAnswers(RelayError error) {
        return relayAnswers.get(error).sum();
    }

    /** The upstream pools (token auth first). */
    public List<UpstreamPool> pools() {
        return List.copyOf(pools);
    }

    /** One line for people: {@code TLS, h2 and http/1.1, client certificates from ca.pem}. */
    String describeListener() {
        PostConfig c = config;
        if (c.plaintext()) {
            return "cleartext HTTP/1.1";
        }
        StringBuilder out = new StringBuilder("TLS, h2 and http/1.1, CONNECT tunnels");
        if (c.clientCa() != null) {
            out.append(", client certificates from ").append(c.clientCa());
            if (!c.allowClients().isEmpty()) {
                out.append(" named ").append(String.join(", ", c.allowClients()));
            }
        }
        return out.toString();
    }

    /**
     * Takes from {@code next} what can change without a restart: the listener's certificates and
     * client CA (new handshakes only), routes, sources, client names, per-client limits. The rest
     * (listen and admin addresses, plaintext, upstream and proxy settings, max-connections,
     * timeouts) needs a restart: logged as a WARN and kept as it is.
     *
     * @throws IllegalArgumentException when a certificate cannot be loaded; nothing changed then
     */
    public synchronized void reload(PostConfig next) {
        PostConfig current = config;
        List<String> ignored = new ArrayList<>();
        if (!current.listen().equals(next.listen())) {
            ignored.add("listen");
        }
        if (current.plaintext() != next.plaintext()) {
            ignored.add("plaintext");
        }
        if (!current.admin().equals(next.admin())) {
            ignored.add("admin");
        }
        if (!current.upstream().equals(next.upstream())) {
            ignored.add("upstream");
        }
        if (!Objects.equals(current.proxy(), next.proxy())) {
            ignored.add("proxy");
        }
        if (current.limits().maxConnections() != next.limits().maxConnections()
                || !current.limits().handshakeTimeout().equals(next.limits().handshakeTimeout())
                || !current.limits().idleTimeout().equals(next.limits().idleTimeout())) {
            ignored.add("limits (max-connections, handshake-timeout, idle-timeout)");
        }
        if (!current.plaintext() && !next.plaintext()) {
            listener.reloadTls(EngineParts.tls(next.tls(), next.clientCa()));
        }
        restrictions.update(next);
        forwarder.replacePolicy(restrictions.policy(next));
        config = next;
        LOG.info("reloaded: routes {}; {} allowed source range(s), {} allowed client name(s)",
                routesText(next.routeTable()), next.allowSources().size(), next.allowClients().size());
        if (!ignored.isEmpty()) {
            LOG.warn("reload: changes to {} need a restart; still running with the old values",
                    String.join(", ", ignored));
        }
    }

    /** {@link #drain(Duration)} with the config's {@code drain-timeout}. */
    public boolean drain() {
        return drain(config.drainTimeout());
    }

    /**
     * Stops accepting, lets downstream exchanges in flight finish (HTTP/1.1: answered with
     * {@code Connection: close}; h2: GOAWAY once idle), then drains the upstream pools. Returns
     * true when all finished within {@code timeout}; {@link #close} afterwards either way.
     */
    public boolean drain(Duration timeout) {
        draining = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean clean = true;
        try {
            listener.drain().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            clean = false;
            LOG.warn("drain: downstream connections still open after {}", timeout);
        }
        List<CompletableFuture<Void>> drains = new ArrayList<>();
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        for (UpstreamPool pool : pools) {
            drains.add(pool.drain(left));
        }
        try {
            CompletableFuture.allOf(drains.toArray(CompletableFuture[]::new))
                    .get(Math.max(1, left.toMillis()) + 1000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            clean = false;
        }
        return clean;
    }

    /** Closes the listener, every connection, the pools and the admin endpoint now. */
    @Override
    public void close() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("close {}", c, e);
            }
        }
        closeables.clear();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private String describeUpstream() {
        PostConfig c = config;
        StringBuilder out = new StringBuilder(c.proxy() == null ? "direct" : "via proxy " + c.proxy().url().render(true));
        if (c.upstream().ca() != null) {
            out.append(", extra upstream CA ").append(c.upstream().ca());
        }
        return out.toString();
    }

    static String routesText(RouteTable routes) {
        StringBuilder out = new StringBuilder();
        for (Route r : routes.routes()) {
            if (out.length() > 0) {
                out.append(", ");
            }
            out.append(r);
        }
        return out.toString();
    }

    /** The upstream, set once the listener's address is known (so that direct mode avoids it). */
    private static final class DeferredUpstream implements Upstream {
        private volatile Upstream delegate;

        void set(Upstream upstream) {
            this.delegate = upstream;
        }

        @Override
        public void send(Route route, RelayRequest request, ResponseSink sink) {
            Upstream d = delegate;
            if (d == null) {
                RelayResponse busy = RelayResponse.of(RelayError.SHUTTING_DOWN, request.body().alloc());
                request.release();
                sink.respond(busy);
                return;
            }
            d.send(route, request, sink);
        }
    }

    /**
     * Token-auth requests (with {@code authorization}) to the token pool, the rest to the pool
     * that presents the APNS client certificate: APNS takes one or the other per connection.
     */
    private record AuthRouting(Upstream token, Upstream certificate) implements Upstream {
        @Override
        public void send(Route route, RelayRequest request, ResponseSink sink) {
            Http2Headers headers = request.headers();
            (headers.contains("authorization") ? token : certificate).send(route, request, sink);
        }
    }

    private final class PoolStats implements UpstreamPoolStats {
        @Override
        public int connectionsOpen() {
            int n = 0;
            for (UpstreamPool p : pools) {
                n += p.stats().connectionsOpen();
            }
            return n;
        }

        @Override
        public int streamsActive() {
            int n = 0;
            for (UpstreamPool p : pools) {
                n += p.stats().streamsInFlight();
            }
            return n;
        }
    }
}
