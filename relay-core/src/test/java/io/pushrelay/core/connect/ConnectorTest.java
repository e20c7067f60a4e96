package io.pushrelay.core.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.eatthepath.pushy.apns.server.AcceptAllPushNotificationHandlerFactory;
import com.eatthepath.pushy.apns.server.MockApnsServer;
import com.eatthepath.pushy.apns.server.MockApnsServerBuilder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import io.pushrelay.core.testing.H2TestServer;
import io.pushrelay.core.testing.Ports;
import io.pushrelay.core.testing.Squid;
import io.pushrelay.core.testing.TestPki;
import io.pushrelay.core.transport.Transports;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connector against real peers: a Netty h2 server, Pushy's mock APNS server, and Squid (plain,
 * with Basic auth, and over TLS). Every failure must map to the right {@link RelayError} with a
 * message naming both ends.
 */
class ConnectorTest {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectorTest.class);
    private static final String APNS = "api.push.apple.com";

    @TempDir
    static Path dir;
    static EventLoopGroup group;
    static TestPki pki;
    static TestPki.LeafFiles apnsCert;
    static H2TestServer upstream;

    @BeforeAll
    static void start() {
        group = Transports.newGroup("connector-test", 1);
        pki = TestPki.create(dir.resolve("pki"), "connector test CA");
        apnsCert = pki.server("apns", APNS);
        upstream = H2TestServer.builder(apnsCert.chain(), apnsCert.key()).start();
    }

    @AfterAll
    static void stop() {
        if (upstream != null) {
            upstream.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static ConnectorConfig trusting() {
        return ConnectorConfig.direct().withUpstreamCa(pki.caPem())
                .withConnectTimeout(Duration.ofSeconds(2)).withHandshakeTimeout(Duration.ofSeconds(2));
    }

    private static Route route(String authority, String host, int port) {
        return Route.of(RouteKind.APNS, authority, host, port);
    }

    /** Connects and returns the outcome: the channel, or the failure. */
    private static Future<Channel> connect(ConnectorConfig config, Route route) {
        try (Connector connector = new Connector(config)) {
            EventLoop loop = group.next();
            Future<Channel> f = connector.connect(loop, route, new ChannelInboundHandlerAdapter());
            assertTrue(f.awaitUninterruptibly(10, TimeUnit.SECONDS), "connect did not finish");
            return f;
        }
    }

    private static ConnectorException failure(Future<Channel> f) {
        assertTrue(!f.isSuccess(), "expected a failure, got " + f.getNow());
        ConnectorException e = assertInstanceOf(ConnectorException.class, f.cause());
        LOG.info("[{}] {}", e.error().flag(), e.getMessage());
        return e;
    }

    private static void closeChannel(Future<Channel> f) {
        assertTrue(f.isSuccess(), () -> "connect failed: " + f.cause());
        f.getNow().close().syncUninterruptibly();
    }

    @Test
    void directConnectionNegotiatesH2WithSniFromTheAuthority() {
        // Connect host is an address; TLS must still check the authority's name.
        Future<Channel> f = connect(trusting(), route(APNS, "127.0.0.1", upstream.port()));
        assertTrue(f.isSuccess(), () -> "connect failed: " + f.cause());
        Channel ch = f.getNow();
        List<String> names = names(ch);
        assertEquals(UpstreamPipeline.UPSTREAM_TLS, names.get(0));
        assertTrue(!names.contains(UpstreamPipeline.CONNECT_WATCH), names::toString);
        assertEquals("h2", ((SslHandler) ch.pipeline().get(UpstreamPipeline.UPSTREAM_TLS)).applicationProtocol());
        assertEquals(ch.eventLoop(), ch.eventLoop()); // registered
        closeChannel(f);
    }

    @Test
    void untrustedUpstreamCertificateIsTlsFailedNamingTheHost() {
        Future<Channel> f = connect(ConnectorConfig.direct(), route(APNS, "127.0.0.1", upstream.port()));
        ConnectorException e = failure(f);
        assertEquals(RelayError.UPSTREAM_TLS_FAILED, e.error(), e.getMessage());
        assertTrue(e.getMessage().startsWith("tls, api.push.apple.com (direct => 127.0.0.1:" + upstream.port()),
                e.getMessage());
    }

    @Test
    void certificateForAnotherNameIsTlsFailed() {
        Future<Channel> f = connect(trusting(), route("api.sandbox.push.apple.com", "127.0.0.1", upstream.port()));
        ConnectorException e = failure(f);
        assertEquals(RelayError.UPSTREAM_TLS_FAILED, e.error(), e.getMessage());
        assertTrue(e.getMessage().contains("api.sandbox.push.apple.com"), e.getMessage());
    }

    @Test
    void peerWithoutAlpnIsRefusedClearly() throws Exception {
        // Pushy's mock without ALPN: the TLS handshake succeeds but nobody selects h2.
        MockApnsServer mock = new MockApnsServerBuilder()
                .setServerCredentials(apnsCert.chain().toFile(), apnsCert.key().toFile(), null)
                .setHandlerFactory(new AcceptAllPushNotificationHandlerFactory())
                .setUseAlpn(false)
                .build();
        int port = (Integer) mock.start(0).get(10, TimeUnit.SECONDS);
        try {
            ConnectorException e = failure(connect(trusting(), route(APNS, "127.0.0.1", port)));
            assertEquals(RelayError.UPSTREAM_TLS_FAILED, e.error());
            assertTrue(e.getMessage().contains("did not select h2 by ALPN (selected: none)"), e.getMessage());
            assertTrue(e.getMessage().startsWith("tls, api.push.apple.com"), e.getMessage());
        } finally {
            mock.shutdown().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void directRefusedIsUpstreamUnavailableAndFast() throws IOException {
        int closed = Ports.closed();
        long start = System.nanoTime();
        ConnectorException e = failure(connect(trusting(), route(APNS, "127.0.0.1", closed)));
        assertEquals(RelayError.UPSTREAM_UNAVAILABLE, e.error());
        assertTrue(e.getMessage().startsWith("direct => 127.0.0.1:" + closed + " [127.0.0.1], "), e.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2));
    }

    @Test
    void unresolvableUpstreamIsUpstreamUnavailable() {
        ConnectorException e = failure(connect(trusting(), route(APNS, "no-such-host.invalid", 443)));
        assertEquals(RelayError.UPSTREAM_UNAVAILABLE, e.error());
        assertTrue(e.getMessage().contains("cannot resolve no-such-host.invalid"), e.getMessage());
    }

    @Test
    void directModeNeverConnectsToTheRelaysOwnListener() {
        // As in the /etc/hosts redirection: the name resolves to ourselves.
        HostResolver toLoopback = HostResolver.fixed(Map.of(APNS, List.of(InetAddress.getLoopbackAddress())),
                HostResolver.system());
        Route selfRoute = route(APNS, APNS, upstream.port());
        // Without the guard the connection would succeed: the resolver is honoured.
        closeChannel(connect(trusting().withResolver(toLoopback), selfRoute));
        for (InetSocketAddress own : List.of(new InetSocketAddress("127.0.0.1", upstream.port()),
                new InetSocketAddress("0.0.0.0", upstream.port()))) {
            ConnectorException e = failure(connect(trusting().withResolver(toLoopback).withAvoid(Set.of(own)),
                    selfRoute));
            assertEquals(RelayError.UPSTREAM_UNAVAILABLE, e.error());
            assertTrue(e.getMessage().contains("relay's own listener"), e.getMessage());
        }
    }

    @Test
    void tlsHandshakeTimeoutIsTlsFailed() throws IOException {
        try (SilentServer silent = new SilentServer()) {
            long start = System.nanoTime();
            ConnectorException e = failure(connect(trusting().withHandshakeTimeout(Duration.ofMillis(300)),
                    route(APNS, "127.0.0.1", silent.port())));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(RelayError.UPSTREAM_TLS_FAILED, e.error(), e.getMessage());
            assertTrue(e.getMessage().contains("timed out"), e.getMessage());
            assertTrue(millis >= 250 && millis < 3000, "took " + millis + " ms");
        }
    }

    @Test
    void throughSquidTunnelsToTheAuthorityNameAndLogsTheConnect() {
        try (Squid squid = Squid.builder().directory(dir).allowPorts(upstream.port()).start()) {
            ProxyConfig proxy = ProxyConfig.parse(squid.url());
            // The route's host is the name: only the proxy resolves it (its hosts_file).
            Future<Channel> f = connect(trusting().withProxy(proxy), route(APNS, APNS, upstream.port()));
            assertTrue(f.isSuccess(), () -> "connect failed: " + f.cause());
            assertEquals(List.of(UpstreamPipeline.UPSTREAM_TLS), names(f.getNow()).subList(0, 1));
            closeChannel(f);
            squid.stop();
            List<Squid.AccessLogEntry> log = squid.accessLog();
            assertTrue(log.stream().anyMatch(l -> l.isConnect() && l.url().equals(APNS + ":" + upstream.port())
                    && l.status() == 200), log::toString);
        }
    }

    @Test
    void squidAnswersMapToProxyAndUpstreamErrors() throws IOException {
        int closed = Ports.closed();
        try (Squid squid = Squid.builder().directory(dir).allowPorts(upstream.port(), closed)
                .basicAuth("alice", "s3cret").start()) {
            String ends = "connect, basic, 127.0.0.1:" + squid.port() + " => " + APNS + ":";
            Function<String, ConnectorConfig> withPassword = pw -> trusting().withProxy(
                    ProxyConfig.parse("http://alice@127.0.0.1:" + squid.port()).withPassword(pw));

            closeChannel(connect(withPassword.apply("s3cret"), route(APNS, APNS, upstream.port())));

            ConnectorException wrong = failure(connect(withPassword.apply("wrong"), route(APNS, APNS, upstream.port())));
            assertEquals(RelayError.PROXY_REFUSED, wrong.error());
            assertEquals(ends + upstream.port() + ", status: 407", wrong.getMessage());

            ConnectorException anonymous = failure(connect(trusting().withProxy(ProxyConfig.parse(squid.url())),
                    route(APNS, APNS, upstream.port())));
            assertEquals(RelayError.PROXY_REFUSED, anonymous.error());
            assertEquals("connect, none, 127.0.0.1:" + squid.port() + " => " + APNS + ":" + upstream.port()
                    + ", status: 407", anonymous.getMessage());

            ConnectorException deniedPort = failure(connect(withPassword.apply("s3cret"), route(APNS, APNS, 8443)));
            assertEquals(RelayError.PROXY_REFUSED, deniedPort.error());
            assertEquals(ends + "8443, status: 403", deniedPort.getMessage());

            ConnectorException nobodyThere = failure(connect(withPassword.apply("s3cret"), route(APNS, APNS, closed)));
            assertEquals(RelayError.UPSTREAM_UNAVAILABLE, nobodyThere.error());
            assertEquals(ends + closed + ", status: 503", nobodyThere.getMessage());

            squid.stop();
            assertTrue(squid.accessLog().stream().anyMatch(l -> l.isConnect() && l.user().equals("alice")
                    && l.status() == 200), () -> squid.accessLog().toString());
        }
    }

    @Test
    void proxyDownIsProxyUnavailableAndFast() throws IOException {
        int closed = Ports.closed();
        long start = System.nanoTime();
        ConnectorException e = failure(connect(trusting().withProxy(ProxyConfig.parse("http://127.0.0.1:" + closed)),
                route(APNS, APNS, 443)));
        assertEquals(RelayError.PROXY_UNAVAILABLE, e.error());
        assertTrue(e.getMessage().startsWith("connect, none, 127.0.0.1:" + closed + " => api.push.apple.com:443, "
                + "proxy unreachable"), e.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2));
    }

    @Test
    void silentProxyTimesOutAsProxyUnavailable() throws IOException {
        try (SilentServer silent = new SilentServer()) {
            long start = System.nanoTime();
            ConnectorException e = failure(connect(trusting().withConnectTimeout(Duration.ofMillis(300))
                    .withProxy(ProxyConfig.parse("http://127.0.0.1:" + silent.port())), route(APNS, APNS, 443)));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(RelayError.PROXY_UNAVAILABLE, e.error());
            assertTrue(e.getMessage().endsWith("no answer to CONNECT within 300 ms"), e.getMessage());
            assertTrue(millis >= 250 && millis < 3000, "took " + millis + " ms");
        }
    }

    @Test
    void unresolvableProxyIsProxyUnavailable() {
        ConnectorException e = failure(connect(trusting().withProxy(ProxyConfig.parse("http://proxy.invalid:3128")),
                route(APNS, APNS, 443)));
        assertEquals(RelayError.PROXY_UNAVAILABLE, e.error());
        assertTrue(e.getMessage().contains("cannot resolve proxy proxy.invalid"), e.getMessage());
    }

    @Test
    void tlsToTheProxyThenTlsToTheUpstreamInside() {
        TestPki proxyPki = TestPki.create(dir.resolve("proxy-pki"), "proxy CA", "localhost");
        TestPki.LeafFiles proxyCert = proxyPki.server("squid", "localhost");
        try (Squid squid = Squid.builder().directory(dir).allowPorts(upstream.port())
                .tls(proxyCert.chain(), proxyCert.key()).start()) {
            ProxyConfig proxy = ProxyConfig.parse(squid.url()).withProxyCa(proxyPki.caPem());
            Future<Channel> f = connect(trusting().withProxy(proxy), route(APNS, APNS, upstream.port()));
            assertTrue(f.isSuccess(), () -> "connect failed: " + f.cause());
            assertEquals(List.of(UpstreamPipeline.PROXY_TLS, UpstreamPipeline.UPSTREAM_TLS),
                    names(f.getNow()).subList(0, 2));
            closeChannel(f);

            // Not trusting the proxy's CA: the proxy's own handshake fails.
            ConnectorException e = failure(connect(trusting().withProxy(ProxyConfig.parse(squid.url())),
                    route(APNS, APNS, upstream.port())));
            assertEquals(RelayError.PROXY_UNAVAILABLE, e.error());
            assertTrue(e.getMessage().startsWith("connect, none, https://127.0.0.1:" + squid.port()
                    + " => api.push.apple.com:" + upstream.port() + ", proxy TLS handshake failed"), e.getMessage());
        }
    }

    private static List<String> names(Channel ch) {
        List<String> names = new ArrayList<>(ch.pipeline().names());
        names.removeIf(n -> n.startsWith("DefaultChannelPipeline$TailContext"));
        return names;
    }


    /** Accepts TCP connections and never says a word. */
    private static final class SilentServer implements AutoCloseable {
        private final ServerSocket socket;
        private final List<Socket> accepted = new ArrayList<>();
        private final Thread acceptor;

        SilentServer() throws IOException {
            socket = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
            acceptor = new Thread(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket s = socket.accept();
                        synchronized (accepted) {
                            accepted.add(s);
                        }
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "silent-server");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
            synchronized (accepted) {
                for (Socket s : accepted) {
                    s.close();
                }
            }
        }
    }
}
