package io.pushrelay.pre;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.pushrelay.core.admin.AdminServer;
import io.pushrelay.core.cli.RunningRelay;
import io.pushrelay.core.config.EngineParts;
import io.pushrelay.core.config.PreConfig;
import io.pushrelay.core.config.TlsSettings;
import io.pushrelay.core.connect.ClientIdentity;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.connect.ConnectorConfig;
import io.pushrelay.core.connect.UpstreamProtocol;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.ExchangeListener;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.listener.ConnectionGate;
import io.pushrelay.core.listener.ListenerConfig;
import io.pushrelay.core.listener.RelayListener;
import io.pushrelay.core.observe.AccessLog;
import io.pushrelay.core.observe.metrics.CertificateExpiry;
import io.pushrelay.core.observe.metrics.RelayMetrics;
import io.pushrelay.core.policy.Policy;
import io.pushrelay.core.policy.RouteTable;
import io.pushrelay.core.role.ApnsPools;
import io.pushrelay.core.role.DeferredUpstream;
import io.pushrelay.core.role.RelayResources;
import io.pushrelay.core.role.RoleText;
import io.pushrelay.core.transport.Transports;
import io.pushrelay.core.upstream.Http1Upstream;
import io.pushrelay.core.upstream.Http1UpstreamConfig;
import io.pushrelay.core.upstream.Upstream;
import io.pushrelay.core.upstream.ViaEndpoint;
import io.pushrelay.pre.passthrough.PassthroughSniHandler;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pre-proxy relay, assembled from the engine: a TLS listener that answers as the push
 * gateways (or, with {@code passthrough}, an SNI-gated tunnel), the policy of the route table,
 * and upstream HTTP/2 pools that reach APNS directly or through the corporate proxy. Token-auth
 * requests (with {@code authorization}) use one pool, keyed by team; with an APNS client
 * certificate configured, requests without {@code authorization} use a second pool that
 * presents it.
 *
 * <p>Lifecycle: {@link #start} binds everything or fails having bound nothing; {@link #drain}
 * stops accepting and lets exchanges in flight finish; {@link #close} stops at once. Thread-safe.
 */
public final class PreRelay implements RunningRelay<PreConfig> {
    private static final Logger LOG = LoggerFactory.getLogger(PreRelay.class);
    /** The listener's name, in logs and in the {@code listener} label of the metrics. */
    static final String LISTENER = "pre";

    private final PreConfig config;
    /** The certificates served now: {@code config}'s, or those of the last reload. */
    private volatile TlsSettings tls;
    private final RelayResources resources;
    private final RelayMetrics metrics;
    private AdminServer admin;
    private RelayListener listener;
    private Forwarder forwarder;
    private Channel passthroughServer;
    private final PassthroughSniHandler.PassthroughStats passthroughStats = new PassthroughSniHandler.PassthroughStats();

    private PreRelay(PreConfig config) {
        this.config = config;
        this.tls = config.tls();
        this.resources = new RelayResources("pre");
        this.metrics = RelayMetrics.create();
    }

    /** Starts the relay; on failure everything started so far is stopped again. */
    public static PreRelay start(PreConfig config) {
        PreRelay relay = new PreRelay(config);
        try {
            relay.startAll();
            return relay;
        } catch (RuntimeException e) {
            relay.close();
            throw e;
        }
    }

    private void startAll() {
        RouteTable routes = config.routeTable();
        if (config.passthrough()) {
            startPassthrough(routes);
        } else {
            DeferredUpstream upstream = new DeferredUpstream();
            forwarder = new Forwarder(new Policy(routes), upstream, new AccessLog(), metricsListener());
            listener = resources.closeFirst(RelayListener.bind(listenerConfig(), resources.boss(),
                    resources.workers(), forwarder, ConnectionGate.OPEN, metrics.listener(LISTENER)));
            upstream.set(upstream(new java.util.HashSet<>(List.of(listener.localAddress(), config.listen().toSocketAddress()))));
        }
        metrics.registerCertificates(this::certificateExpiries);
        admin = new AdminServer();
        admin.start(config.admin().listen().toSocketAddress(), metrics,
                () -> resources.readiness(listener != null || passthroughServer != null));
        resources.closeFirst(admin);
        LOG.info("relay-pre ready: {} => {} ({})", Downstream.format(address()), RoleText.routes(routes),
                describeUpstream());
    }

    private ListenerConfig listenerConfig() {
        var limits = config.limits();
        return ListenerConfig.tls(LISTENER, config.listen().toSocketAddress(), EngineParts.tls(config.tls(), null))
                .withHandshakeTimeout(limits.handshakeTimeout())
                .withIdleTimeout(limits.idleTimeout())
                .withMaxConnections(limits.maxConnections())
                .withMaxConcurrentStreams(limits.maxConcurrentStreams());
    }

    private Upstream upstream(Set<InetSocketAddress> avoid) {
        if (config.via() != null) {
            return viaUpstream(avoid);
        }
        return ApnsPools.open(config.upstream(), EngineParts.connector(config, avoid), metrics, resources).upstream();
    }

    /**
     * The chain: every request as HTTP/1.1 to relay-post (through the proxy when one is set), so
     * that a legacy, TLS-inspecting proxy in between sees and audits each one.
     */
    private Upstream viaUpstream(Set<InetSocketAddress> avoid) {
        var via = config.via();
        ViaEndpoint endpoint = new ViaEndpoint(via.url().tls(), via.url().address().host(), via.url().address().port());
        ConnectorConfig cc = EngineParts.connector(config, avoid).withProtocol(UpstreamProtocol.HTTP_1_1);
        cc = via.ca() != null ? cc.withUpstreamCa(via.ca()) : cc;
        if (via.clientCert() != null) {
            cc = cc.withClientCert(ClientIdentity.fromPem(via.clientCert(), via.clientKey()));
        }
        Connector connector = resources.closeLast(new Connector(cc, metrics));
        int loops = 0;
        for (var loop : resources.workers()) {
            loops++;
        }
        loops = Math.max(1, loops);
        int perLoop = Math.max(1, (via.maxConnections() + loops - 1) / loops);
        Http1Upstream upstream = resources.closeFirst(new Http1Upstream(connector, endpoint,
                Http1UpstreamConfig.defaults()
                        .withMaxConnectionsPerLoop(perLoop)
                        .withRequestTimeout(config.upstream().requestTimeout()), resources.workers()));
        resources.drainUpstream(upstream::drain);
        return upstream;
    }

    private void startPassthrough(RouteTable routes) {
        Connector connector = resources.closeLast(new Connector(
                EngineParts.connector(config, Set.of(config.listen().toSocketAddress())), metrics));
        long handshakeMillis = config.limits().handshakeTimeout().toMillis();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(resources.boss(), resources.workers())
                .channel(Transports.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("passthrough-sni", new PassthroughSniHandler(routes,
                                (route, loop) -> connector.tunnel(loop, route), handshakeMillis, passthroughStats));
                        ch.read();
                    }
                });
        ChannelFuture bound = bootstrap.bind(config.listen().toSocketAddress()).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IllegalStateException("listener pre: cannot bind " + config.listen() + ": "
                    + bound.cause().getMessage(), bound.cause());
        }
        passthroughServer = bound.channel();
        LOG.info("listener pre: bound {} (TLS passthrough, SNI-gated)", Downstream.format(address()));
    }

    private ExchangeListener metricsListener() {
        return (request, route, response, answeredNanos) -> {
            long took = answeredNanos - request.receivedNanos();
            (route == null ? metrics.unrouted() : metrics.route(route.authority())).answered(response, took);
        };
    }

    private List<CertificateExpiry> certificateExpiries() {
        List<CertificateExpiry> out = new ArrayList<>();
        TlsSettings served = tls;
        if (served != null) {
            out.addAll(CertificateExpiry.readFile(served.cert()));
        }
        return out;
    }

    /** The bound downstream address (the real port when the config said 0). */
    public InetSocketAddress address() {
        if (passthroughServer != null) {
            return (InetSocketAddress) passthroughServer.localAddress();
        }
        return listener.localAddress();
    }

    public InetSocketAddress adminAddress() {
        return admin.address();
    }

    public RelayMetrics metrics() {
        return metrics;
    }

    public PreConfig config() {
        return config;
    }

    public RelayListener listener() {
        return listener;
    }

    public PassthroughSniHandler.PassthroughStats passthroughStats() {
        return passthroughStats;
    }

    /**
     * Reloads certificates and routes from {@code next} without dropping a connection. Other
     * changes (listen address, proxy, limits) need a restart; they are logged and ignored.
     */
    public void reload(PreConfig next) {
        List<String> ignored = restartOnlyChanges(config, next);
        if (!ignored.isEmpty()) {
            LOG.warn("reload: {} changed; restart relay-pre to apply (kept the running values)",
                    String.join(", ", ignored));
        }
        if (listener != null && next.tls() != null) {
            listener.reloadTls(EngineParts.tls(next.tls(), null));
            tls = next.tls();
        }
        if (forwarder != null) {
            forwarder.replacePolicy(new Policy(next.routeTable()));
            LOG.info("routes reloaded: {}", RoleText.routes(next.routeTable()));
        }
    }

    /** The keys of {@code next} that differ from what the relay started with and that a reload cannot apply. */
    static List<String> restartOnlyChanges(PreConfig running, PreConfig next) {
        List<String> out = new ArrayList<>();
        addIfChanged(out, "listen", running.listen(), next.listen());
        addIfChanged(out, "proxy", running.proxy(), next.proxy());
        addIfChanged(out, "upstream", running.upstream(), next.upstream());
        addIfChanged(out, "via", running.via(), next.via());
        addIfChanged(out, "passthrough", running.passthrough(), next.passthrough());
        addIfChanged(out, "admin", running.admin(), next.admin());
        addIfChanged(out, "limits", running.limits(), next.limits());
        addIfChanged(out, "drain-timeout", running.drainTimeout(), next.drainTimeout());
        return out;
    }

    private static void addIfChanged(List<String> out, String key, Object running, Object next) {
        if (!Objects.equals(running, next)) {
            out.add(key);
        }
    }

    /**
     * Stops accepting, lets downstream exchanges in flight finish (GOAWAY once idle on h2,
     * {@code Connection: close} on HTTP/1.1), then drains the upstream pools; completes when
     * all is done or {@code timeout} passed.
     */
    public boolean drain(Duration timeout) {
        return resources.drain(timeout, listener, passthroughServer == null ? null
                : () -> passthroughServer.close().awaitUninterruptibly());
    }

    @Override
    public void close() {
        if (passthroughServer != null) {
            passthroughServer.close().awaitUninterruptibly();
        }
        resources.close();
    }

    private String describeUpstream() {
        StringBuilder out = RoleText.upstream(config);
        if (config.passthrough()) {
            out.append(", TLS passthrough");
        }
        if (config.via() != null) {
            out.append(", chained as HTTP/1.1 via ").append(config.via().url().render(true));
        }
        return out.toString();
    }

    static Path path(String s) {
        return Path.of(s);
    }
}
