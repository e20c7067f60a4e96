package io.pushrelay.post;

import io.pushrelay.core.admin.AdminServer;
import io.pushrelay.core.cli.RunningRelay;
import io.pushrelay.core.config.EngineParts;
import io.pushrelay.core.config.PostConfig;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.ExchangeListener;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.listener.ListenerConfig;
import io.pushrelay.core.listener.RelayListener;
import io.pushrelay.core.observe.AccessLog;
import io.pushrelay.core.observe.metrics.CertificateExpiry;
import io.pushrelay.core.observe.metrics.RelayMetrics;
import io.pushrelay.core.role.ApnsPools;
import io.pushrelay.core.role.DeferredUpstream;
import io.pushrelay.core.role.RelayResources;
import io.pushrelay.core.role.RoleText;
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
    private final RelayResources resources;
    private final RelayMetrics metrics;
    private final Restrictions restrictions;
    private final Map<RelayError, LongAdder> relayAnswers = new EnumMap<>(RelayError.class);
    private List<UpstreamPool> pools = List.of();
    private RelayListener listener;
    private Forwarder forwarder;
    private AdminServer admin;

    private PostRelay(PostConfig config) {
        this.config = config;
        this.resources = new RelayResources("post");
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
        listener = resources.closeFirst(RelayListener.bind(listenerConfig(config), resources.boss(),
                resources.workers(), forwarder, restrictions.gate(), metrics.listener(LISTENER)));
        Set<InetSocketAddress> own = new LinkedHashSet<>(List.of(listener.localAddress(),
                config.listen().toSocketAddress()));
        ApnsPools apns = ApnsPools.open(config.upstream(), EngineParts.connector(config, own), metrics, resources);
        pools = apns.pools();
        upstream.set(apns.upstream());
        metrics.registerCertificates(this::certificateExpiries);
        admin = resources.closeFirst(new AdminServer());
        admin.start(config.admin().listen().toSocketAddress(), metrics,
                () -> resources.readiness(listener != null));
        LOG.info("relay-post ready: {} ({}) => {} ({})", Downstream.format(address()), describeListener(),
                RoleText.routes(config.routeTable()), RoleText.upstream(config));
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
        return pools;
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
                RoleText.routes(next.routeTable()), next.allowSources().size(), next.allowClients().size());
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
        return resources.drain(timeout, listener, null);
    }

    /** Closes the listener, every connection, the pools and the admin endpoint now. */
    @Override
    public void close() {
        resources.close();
    }
}
