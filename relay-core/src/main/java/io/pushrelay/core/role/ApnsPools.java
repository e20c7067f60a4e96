package io.pushrelay.core.role;

import io.netty.handler.codec.http2.Http2Headers;
import io.pushrelay.core.config.EngineParts;
import io.pushrelay.core.config.UpstreamSettings;
import io.pushrelay.core.connect.ClientIdentity;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.connect.ConnectorConfig;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.observe.metrics.RelayMetrics;
import io.pushrelay.core.observe.metrics.UpstreamPoolStats;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.upstream.Upstream;
import io.pushrelay.core.upstream.UpstreamConfig;
import io.pushrelay.core.upstream.UpstreamPool;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A role's HTTP/2 upstream pools to APNS/FCM: one for token auth (keyed by team), and with
 * {@code upstream.apns-client-cert} a second one that presents that certificate, taking the
 * requests without {@code authorization} (APNS takes one or the other per connection). The
 * pools and their connectors are registered with the role's {@link RelayResources} (pools
 * drained on drain, closed before the listener; connectors closed last), and their gauges with
 * its {@link RelayMetrics} (as route {@code all}).
 */
public final class ApnsPools {
    private static final Logger LOG = LoggerFactory.getLogger(ApnsPools.class);

    private final List<UpstreamPool> pools;
    private final Upstream upstream;

    private ApnsPools(List<UpstreamPool> pools, Upstream upstream) {
        this.pools = pools;
        this.upstream = upstream;
    }

    /**
     * Opens the pools (connections open on demand).
     *
     * @param up        the {@code upstream} settings: limits, timers, the APNS client certificate
     * @param base      how to connect (direct or through the proxy, timeouts, extra CA, addresses to avoid)
     * @param metrics   the relay's metrics
     * @param resources the role's groups and stop order
     * @throws IllegalArgumentException when the client certificate or its password file cannot be used
     */
    public static ApnsPools open(UpstreamSettings up, ConnectorConfig base, RelayMetrics metrics,
            RelayResources resources) {
        UpstreamConfig poolConfig = UpstreamConfig.defaults()
                .withMaxConnectionsPerKey(up.maxConnectionsPerHost())
                .withRequestTimeout(up.requestTimeout())
                .withPing(up.pingInterval(), UpstreamConfig.defaults().pingTimeout())
                .withIdleTimeout(up.idleTimeout());
        UpstreamPool tokenPool = pool(base, poolConfig, metrics, resources);
        if (up.apnsClientCert() == null) {
            return registered(List.of(tokenPool), tokenPool, metrics);
        }
        char[] password = up.apnsClientCertPasswordFile() == null ? new char[0]
                : EngineParts.firstLine(up.apnsClientCertPasswordFile(), "upstream.apns-client-cert-password-file")
                .toCharArray();
        ClientIdentity identity = ClientIdentity.load(up.apnsClientCert(), password);
        UpstreamPool certificatePool = pool(base.withClientCert(identity), poolConfig, metrics, resources);
        LOG.info("APNS certificate auth: requests without authorization present {} ({})",
                identity.certificate().getSubjectX500Principal().getName(), up.apnsClientCert());
        return registered(List.of(tokenPool, certificatePool), new AuthRouting(tokenPool, certificatePool), metrics);
    }

    private static UpstreamPool pool(ConnectorConfig connectorConfig, UpstreamConfig poolConfig, RelayMetrics metrics,
            RelayResources resources) {
        Connector connector = resources.closeLast(new Connector(connectorConfig, metrics));
        UpstreamPool pool = resources.closeFirst(new UpstreamPool(connector, poolConfig, resources.workers()));
        resources.drainUpstream(pool::drain);
        return pool;
    }

    private static ApnsPools registered(List<UpstreamPool> pools, Upstream upstream, RelayMetrics metrics) {
        metrics.registerUpstreamPool("all", new PoolStats(pools));
        return new ApnsPools(pools, upstream);
    }

    /** Where requests go: the token pool, or the two pools by {@code authorization}. */
    public Upstream upstream() {
        return upstream;
    }

    /** The pools, token auth first. */
    public List<UpstreamPool> pools() {
        return pools;
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

    private record PoolStats(List<UpstreamPool> pools) implements UpstreamPoolStats {
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
