package io.pushrelay.core.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import io.pushrelay.core.observe.metrics.ConnectFailure;
import io.pushrelay.core.observe.metrics.RelayMetrics;
import io.pushrelay.core.observe.metrics.RouteMetrics;
import io.pushrelay.core.observe.metrics.TlsSide;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import io.pushrelay.core.testing.H1TestServer;
import io.pushrelay.core.testing.Ports;
import io.pushrelay.core.testing.Squid;
import io.pushrelay.core.testing.TestPki;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a {@link Connector} built with metrics records, against real peers (Squid with Basic
 * auth, a TLS server, closed ports): one attempt per connection, each failure under its reason,
 * a refused {@code CONNECT} under the proxy's status (none when it gave no answer), a failed
 * upstream TLS handshake, and the bytes of the connection through its {@code traffic} handler.
 */
class ConnectorMetricsTest {
    private static final String APNS = "api.push.apple.com";

    @TempDir
    static Path dir;
    static EventLoopGroup group;
    static TestPki pki;
    static H1TestServer tlsServer;
    static int closedPort;
    static Squid squid;

    @BeforeAll
    static void start() throws Exception {
        group = io.pushrelay.core.transport.Transports.newGroup("connector-metrics-test", 1);
        pki = TestPki.create(dir.resolve("pki"), "connector metrics test CA");
        TestPki.LeafFiles apnsCert = pki.server("apns", APNS);
        tlsServer = H1TestServer.builder().tls(apnsCert.chain(), apnsCert.key()).start();
        closedPort = Ports.closed();
        squid = Squid.builder().directory(dir).allowPorts(tlsServer.port(), closedPort).basicAuth("alice", "s3cret").start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (squid != null) {
            squid.close();
        }
        if (tlsServer != null) {
            tlsServer.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static ConnectorConfig direct() {
        return ConnectorConfig.direct().withConnectTimeout(Duration.ofSeconds(2)).withHandshakeTimeout(Duration.ofSeconds(2));
    }

    private static ConnectorConfig viaSquid(String password) {
        return direct().withProxy(ProxyConfig.parse("http://alice@127.0.0.1:" + squid.port()).withPassword(password));
    }

    private static Route route(int port) {
        return Route.of(RouteKind.APNS, APNS, "127.0.0.1", port);
    }

    /** Opens one upstream TLS connection (h1 ALPN, as the TLS server speaks) and waits for the outcome. */
    private static Future<Channel> connect(ConnectorConfig config, RelayMetrics metrics, int port) {
        try (Connector connector = new Connector(config.withProtocol(UpstreamProtocol.HTTP_1_1), metrics)) {
            Future<Channel> f = connector.connect(group.next(), route(port), new ChannelInboundHandlerAdapter());
            assertTrue(f.awaitUninterruptibly(10, TimeUnit.SECONDS), "connect did not finish");
            return f;
        }
    }

    /** The one failure reason counted (and every other reason at 0), with one attempt. */
    private static void assertOneFailure(RelayMetrics metrics, ConnectFailure reason) {
        RouteMetrics m = metrics.route(APNS);
        assertEquals(1, m.connectAttempts());
        for (ConnectFailure r : ConnectFailure.values()) {
            assertEquals(r == reason ? 1 : 0, m.connectFailures(r), r.label());
        }
    }

    @Test
    void directToAClosedPortShouldBeARefusal() {
        RelayMetrics metrics = new RelayMetrics("test", false);
        assertFalse(connect(direct(), metrics, closedPort).isSuccess());
        assertOneFailure(metrics, ConnectFailure.REFUSED);
        assertEquals(0, metrics.proxyConnectFailures(0));
        assertEquals(0, metrics.tlsHandshakeFailures(TlsSide.UPSTREAM));
    }

    @Test
    void proxyUnreachableShouldBeARefusalAndAConnectWithoutStatus() {
        RelayMetrics metrics = new RelayMetrics("test", false);
        ConnectorConfig config = direct().withProxy(ProxyConfig.parse("http://127.0.0.1:" + closedPort));
        assertFalse(connect(config, metrics, tlsServer.port()).isSuccess());
        assertOneFailure(metrics, ConnectFailure.REFUSED);
        assertEquals(1, metrics.proxyConnectFailures(0));
    }

    @Test
    void squidRefusingTheCredentialsShouldCount407() {
        RelayMetrics metrics = new RelayMetrics("test", false);
        assertFalse(connect(viaSquid("wrong"), metrics, tlsServer.port()).isSuccess());
        assertOneFailure(metrics, ConnectFailure.PROXY_REFUSED);
        assertEquals(1, metrics.proxyConnectFailures(407));
        assertEquals(0, metrics.proxyConnectFailures(0));
    }

    @Test
    void squidUnableToReachTheTargetShouldCountItsStatus() {
        RelayMetrics metrics = new RelayMetrics("test", false);
        assertFalse(connect(viaSquid("s3cret"), metrics, closedPort).isSuccess());
        assertOneFailure(metrics, ConnectFailure.PROXY_REFUSED);
        assertEquals(1, metrics.proxyConnectFailures(503));
    }

    @Test
    void untrustedUpstreamShouldBeATlsFailureOnTheUpstreamSide() {
        RelayMetrics metrics = new RelayMetrics("test", false);
        assertFalse(connect(direct(), metrics, tlsServer.port()).isSuccess());
        assertOneFailure(metrics, ConnectFailure.TLS);
        assertEquals(1, metrics.tlsHandshakeFailures(TlsSide.UPSTREAM));
        assertEquals(0, metrics.tlsHandshakeFailures(TlsSide.DOWNSTREAM));
    }

    @Test
    void aConnectionThroughSquidShouldCountItsBytesFromTheFirstHandler() {
        RelayMetrics metrics = new RelayMetrics("test", false);
        Future<Channel> f = connect(viaSquid("s3cret").withUpstreamCa(pki.caPem()), metrics, tlsServer.port());
        assertTrue(f.isSuccess(), () -> "connect failed: " + f.cause());
        Channel ch = f.getNow();
        try {
            List<String> names = new ArrayList<>(ch.pipeline().names());
            assertEquals(List.of(UpstreamPipeline.TRAFFIC, UpstreamPipeline.UPSTREAM_TLS), names.subList(0, 2));
            RouteMetrics m = metrics.route(APNS);
            assertEquals(1, m.connectAttempts());
            for (ConnectFailure r : EnumSet.allOf(ConnectFailure.class)) {
                assertEquals(0, m.connectFailures(r));
            }
            // The CONNECT request and the TLS handshake went out; Squid's 200 and the server's flight came back.
            assertTrue(m.upstreamTxBytes() > ("CONNECT 127.0.0.1:" + tlsServer.port()).length(), "tx " + m.upstreamTxBytes());
            assertTrue(m.upstreamRxBytes() > 1000, "rx " + m.upstreamRxBytes());
        } finally {
            ch.close().syncUninterruptibly();
        }
    }
}
