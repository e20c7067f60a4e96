package io.pushrelay.core.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import io.pushrelay.core.sim.ConnectProxyConfig;
import io.pushrelay.core.sim.ConnectProxySimulator;
import io.pushrelay.core.sim.TunnelRecord;
import io.pushrelay.core.testing.H1TestServer;
import io.pushrelay.core.testing.Ports;
import io.pushrelay.core.testing.Squid;
import io.pushrelay.core.testing.TestPki;
import io.pushrelay.core.transport.Transports;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Raw tunnels ({@link Connector#tunnel}) against real peers: direct, through Squid (CONNECT
 * allowed, 403, 407, 503; over TLS to Squid) and through the CONNECT proxy simulator; the test
 * then speaks TLS itself through the tunnel to a TLS server and gets an answer, as TLS
 * passthrough will. Also the bytes a proxy passes on together with its 2xx head, and the
 * connector's HTTP/1.1 ALPN option.
 */
class ConnectorTunnelTest {
    private static final String APNS = "api.push.apple.com";

    @TempDir
    static Path dir;
    static EventLoopGroup group;
    static TestPki pki;
    static TestPki.LeafFiles apnsCert;
    static H1TestServer tlsServer;
    static SslContext clientTls;
    /** An upstream that speaks first: a greeting on accept, then it waits for one byte. */
    static ServerSocket banner;
    static int refusingPort;
    /** The corporate proxy: Basic auth as alice; CONNECT to the TLS server, the banner and a closed port. */
    static Squid squid;

    @BeforeAll
    static void start() throws Exception {
        group = Transports.newGroup("tunnel-test", 1);
        pki = TestPki.create(dir.resolve("pki"), "tunnel test CA");
        apnsCert = pki.server("apns", APNS);
        tlsServer = H1TestServer.builder().tls(apnsCert.chain(), apnsCert.key()).start();
        clientTls = SslContextBuilder.forClient().sslProvider(Transports.sslProvider())
                .trustManager(pki.caPem().toFile()).endpointIdentificationAlgorithm("HTTPS").build();
        banner = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        Thread greeter = new Thread(() -> {
            while (!banner.isClosed()) {
                try (Socket s = banner.accept()) {
                    s.getOutputStream().write("220 banner\n".getBytes(StandardCharsets.US_ASCII));
                    s.getInputStream().read();
                } catch (IOException e) {
                    // closed: the test is over, or the client went away
                }
            }
        }, "banner");
        greeter.setDaemon(true);
        greeter.start();
        refusingPort = Ports.closed();
        squid = Squid.builder().directory(dir).allowPorts(tlsServer.port(), banner.getLocalPort(), refusingPort)
                .basicAuth("alice", "s3cret").start();
    }

    private static ConnectorConfig viaSquid(String password) {
        return config().withProxy(ProxyConfig.parse("http://alice@127.0.0.1:" + squid.port()).withPassword(password));
    }

    @AfterAll
    static void stop() throws IOException {
        if (squid != null) {
            squid.close();
        }
        if (banner != null) {
            banner.close();
        }
        if (tlsServer != null) {
            tlsServer.close();
        }
        io.netty.util.ReferenceCountUtil.release(clientTls);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static ConnectorConfig config() {
        return ConnectorConfig.direct().withConnectTimeout(Duration.ofSeconds(2))
                .withHandshakeTimeout(Duration.ofSeconds(2));
    }

    private static Route route(String host, int port) {
        return Route.of(RouteKind.APNS, APNS, host, port);
    }

    private static Future<Channel> tunnel(ConnectorConfig config, Route route) {
        try (Connector connector = new Connector(config)) {
            Future<Channel> f = connector.tunnel(group.next(), route);
            assertTrue(f.awaitUninterruptibly(10, TimeUnit.SECONDS), "tunnel did not finish");
            return f;
        }
    }

    private static ConnectorException failure(Future<Channel> f) {
        assertFalse(f.isSuccess(), () -> "expected a failure, got " + f.getNow());
        return assertInstanceOf(ConnectorException.class, f.cause());
    }

    private static Channel success(Future<Channel> f) {
        assertTrue(f.isSuccess(), () -> "tunnel failed: " + f.cause());
        return f.getNow();
    }

    private static List<String> names(Channel ch) {
        List<String> names = new ArrayList<>(ch.pipeline().names());
        names.removeIf(n -> n.startsWith("DefaultChannelPipeline$TailContext"));
        return names;
    }

    /**
     * Through the tunnel: TLS to the server (SNI and name check on api.push.apple.com), then an
     * HTTP/1.1 POST; returns the answer's {@code apns-id}. Nothing of the connector's may be in
     * the way: the test's own handlers see every byte.
     */
    private static String postThroughTls(Channel tunnel, String requestId) throws Exception {
        assertFalse(tunnel.config().getOption(ChannelOption.AUTO_READ), "AUTO_READ must be off");
        CompletableFuture<String> answer = new CompletableFuture<>();
        tunnel.eventLoop().submit(() -> {
            SslHandler tls = clientTls.newHandler(tunnel.alloc(), APNS, 443);
            tunnel.pipeline().addLast(tls, new HttpClientCodec(), new HttpObjectAggregator(1 << 16),
                    new SimpleChannelInboundHandler<FullHttpResponse>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
                            answer.complete(response.status().code() + " " + response.headers().get("apns-id"));
                        }

                        @Override
                        public void channelReadComplete(ChannelHandlerContext ctx) {
                            ctx.read(); // AUTO_READ is off: the caller asks for every read
                        }

                        @Override
                        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                            answer.completeExceptionally(cause);
                        }
                    });
            tunnel.read();
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                    "/3/device/abcdef", Unpooled.copiedBuffer("{}", StandardCharsets.US_ASCII));
            request.headers().set(HttpHeaderNames.HOST, APNS).set("x-request-id", requestId)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, 2);
            tunnel.writeAndFlush(request);
        }).sync();
        try {
            return answer.get(10, TimeUnit.SECONDS);
        } finally {
            tunnel.close().syncUninterruptibly();
        }
    }

    @Test
    void directTunnelCarriesTheCallersTlsAndLeavesNothingOfOurs() throws Exception {
        Channel ch = success(tunnel(config(), route("127.0.0.1", tlsServer.port())));
        assertEquals(List.of(), names(ch));
        assertEquals("200 direct-1", postThroughTls(ch, "direct-1"));
    }

    @Test
    void directTunnelKeepsTheAvoidGuardAndTheErrorMapping() throws IOException {
        Route self = route("127.0.0.1", tlsServer.port());
        ConnectorException own = failure(tunnel(config().withAvoid(Set.of(new InetSocketAddress("0.0.0.0",
                tlsServer.port()))), self));
        assertEquals(RelayError.UPSTREAM_UNAVAILABLE, own.error());
        assertTrue(own.getMessage().contains("relay's own listener"), own.getMessage());

        int closed = Ports.closed();
        ConnectorException refused = failure(tunnel(config(), route("127.0.0.1", closed)));
        assertEquals(RelayError.UPSTREAM_UNAVAILABLE, refused.error());
        assertEquals("direct => 127.0.0.1:" + closed + " [127.0.0.1], connection refused", refused.getMessage());
    }

    @Test
    void throughSquidTheTunnelCarriesTlsAndSquidLogsTheConnect() throws Exception {
        Channel ch = success(tunnel(viaSquid("s3cret"), route(APNS, tlsServer.port())));
        assertEquals(List.of(), names(ch));
        assertEquals("200 squid-1", postThroughTls(ch, "squid-1"));
        // Squid logs a CONNECT when its tunnel closes; postThroughTls closed it.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline && squid.accessLog().stream().noneMatch(l -> l.isConnect()
                && l.status() == 200 && l.user().equals("alice") && l.url().equals(APNS + ":" + tlsServer.port()))) {
            Thread.sleep(20);
        }
        assertTrue(squid.accessLog().stream().anyMatch(l -> l.isConnect() && l.status() == 200
                && l.user().equals("alice") && l.url().equals(APNS + ":" + tlsServer.port())),
                () -> squid.accessLog().toString());
    }

    @Test
    void squidRefusalsMapLikeConnect() {
        String ends = "connect, basic, 127.0.0.1:" + squid.port() + " => " + APNS + ":";

        ConnectorException wrong = failure(tunnel(viaSquid("wrong"), route(APNS, tlsServer.port())));
        assertEquals(RelayError.PROXY_REFUSED, wrong.error());
        assertEquals(ends + tlsServer.port() + ", status: 407", wrong.getMessage());

        ConnectorException anonymous = failure(tunnel(config().withProxy(ProxyConfig.parse(squid.url())),
                route(APNS, tlsServer.port())));
        assertEquals(RelayError.PROXY_REFUSED, anonymous.error());
        assertEquals("connect, none, 127.0.0.1:" + squid.port() + " => " + APNS + ":" + tlsServer.port()
                + ", status: 407", anonymous.getMessage());

        ConnectorException denied = failure(tunnel(viaSquid("s3cret"), route(APNS, 8443)));
        assertEquals(RelayError.PROXY_REFUSED, denied.error());
        assertEquals(ends + "8443, status: 403", denied.getMessage());

        ConnectorException nobody = failure(tunnel(viaSquid("s3cret"), route(APNS, refusingPort)));
        assertEquals(RelayError.UPSTREAM_UNAVAILABLE, nobody.error());
        assertEquals(ends + refusingPort + ", status: 503", nobody.getMessage());
    }

    @Test
    void overTlsToSquidOnlyTheProxyTlsStays() throws Exception {
        TestPki proxyPki = TestPki.create(dir.resolve("proxy-pki"), "proxy CA", "localhost");
        TestPki.LeafFiles proxyCert = proxyPki.server("squid", "localhost");
        try (Squid squid = Squid.builder().directory(dir).allowPorts(tlsServer.port())
                .tls(proxyCert.chain(), proxyCert.key()).start()) {
            ProxyConfig proxy = ProxyConfig.parse(squid.url()).withProxyCa(proxyPki.caPem());
            Channel ch = success(tunnel(config().withProxy(proxy), route(APNS, tlsServer.port())));
            assertEquals(List.of(UpstreamPipeline.PROXY_TLS), names(ch));
            assertEquals("200 tls-proxy-1", postThroughTls(ch, "tls-proxy-1"));
        }
    }

    @Test
    void throughTheProxySimulatorWithBasicAuth() throws Exception {
        ConnectProxyConfig simConfig = ConnectProxyConfig.builder().basicAuth("relay", "s3cret")
                .allowPort(tlsServer.port()).host(APNS, "127.0.0.1").build();
        try (ConnectProxySimulator sim = new ConnectProxySimulator()) {
            InetSocketAddress p = sim.start(simConfig);
            ProxyConfig proxy = ProxyConfig.parse("http://relay@127.0.0.1:" + p.getPort()).withPassword("s3cret");
            Channel ch = success(tunnel(config().withProxy(proxy), route(APNS, tlsServer.port())));
            assertEquals(List.of(), names(ch));
            assertEquals("200 sim-1", postThroughTls(ch, "sim-1"));

            ConnectorException anonymous = failure(tunnel(config().withProxy(
                    ProxyConfig.parse("http://127.0.0.1:" + p.getPort())), route(APNS, tlsServer.port())));
            assertEquals(RelayError.PROXY_REFUSED, anonymous.error());
            assertTrue(anonymous.getMessage().endsWith(", status: 407"), anonymous.getMessage());

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (sim.records().size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            List<TunnelRecord> records = sim.records();
            assertTrue(records.stream().anyMatch(r -> r.status() == 200 && r.user().equals("relay")
                    && r.target().equals(APNS + ":" + tlsServer.port())), records::toString);
        }
    }

    /** A fake proxy that answers 200 and the upstream's first bytes in one write, then echoes. */
    private static final class EagerProxy implements AutoCloseable {
        private final ServerSocket socket = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        private final CompletableFuture<String> connectLine = new CompletableFuture<>();
        private final Thread thread;

        EagerProxy(String greeting) throws IOException {
            thread = new Thread(() -> {
                try (Socket s = socket.accept()) {
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    StringBuilder head = new StringBuilder();
                    while (!head.toString().endsWith("\r\n\r\n")) {
                        int c = in.read();
                        if (c < 0) {
                            return;
                        }
                        head.append((char) c);
                    }
                    connectLine.complete(head.toString().split("\r\n")[0]);
                    out.write(("HTTP/1.1 200 Connection established\r\n\r\n" + greeting)
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    byte[] buf = new byte[1024];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                } catch (IOException e) {
                    connectLine.completeExceptionally(e);
                }
            }, "eager-proxy");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Collects what a tunnel delivers, asking for one read at a time. */
    private static final class Collector extends ChannelInboundHandlerAdapter {
        final StringBuffer received = new StringBuffer();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            received.append(buf.toString(StandardCharsets.US_ASCII));
            buf.release();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.read();
        }

        String await(String expected) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!received.toString().equals(expected) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            return received.toString();
        }
    }

    @Test
    void bytesThatCameWithTheTwoHundredAreHeldForTheCallersFirstRead() throws Exception {
        try (EagerProxy proxy = new EagerProxy("220 upstream speaks first\n")) {
            Channel ch = success(tunnel(config().withProxy(ProxyConfig.parse("http://127.0.0.1:" + proxy.port())),
                    route(APNS, 443)));
            assertEquals("CONNECT api.push.apple.com:443 HTTP/1.1", proxy.connectLine.get(5, TimeUnit.SECONDS));
            assertEquals(List.of(UpstreamPipeline.TUNNEL_HANDOVER), names(ch));
            Collector collector = new Collector();
            ch.pipeline().addLast(collector); // from this (non-loop) thread, as a caller may
            Thread.sleep(50);
            assertEquals("", collector.received.toString(), "nothing before the caller reads");
            ch.read();
            assertEquals("220 upstream speaks first\n", collector.await("220 upstream speaks first\n"));
            assertNull(ch.pipeline().get(UpstreamPipeline.TUNNEL_HANDOVER), names(ch)::toString);
            ch.writeAndFlush(Unpooled.copiedBuffer("ping\n", StandardCharsets.US_ASCII));
            assertEquals("220 upstream speaks first\nping\n", collector.await("220 upstream speaks first\nping\n"));
            ch.close().syncUninterruptibly();
        }
    }

    @Test
    void withAHandlerUpFrontTheBytesThatCameWithTheTwoHundredAreItsFirstRead() throws Exception {
        try (EagerProxy proxy = new EagerProxy("220 hello\n"); Connector connector = new Connector(
                config().withProxy(ProxyConfig.parse("http://127.0.0.1:" + proxy.port())))) {
            Collector collector = new Collector();
            Future<Channel> f = connector.tunnel(group.next(), route(APNS, 443), collector);
            Channel ch = success(f.awaitUninterruptibly());
            assertEquals(1, names(ch).size(), names(ch)::toString); // the collector alone
            assertEquals("220 hello\n", collector.await("220 hello\n"));
            assertFalse(ch.config().getOption(ChannelOption.AUTO_READ));
            ch.close().syncUninterruptibly();
        }
    }

    @Test
    void anUpstreamThatSpeaksFirstIsHeardThroughSquid() throws Exception {
        // Squid may pass the greeting on with its 200 or after it: either way the caller gets it.
        Channel ch = success(tunnel(viaSquid("s3cret"), route(APNS, banner.getLocalPort())));
        Collector collector = new Collector();
        ch.pipeline().addLast(collector);
        ch.read();
        assertEquals("220 banner\n", collector.await("220 banner\n"));
        ch.close().syncUninterruptibly();
    }

    @Test
    void silentProxyTimesOutAsProxyUnavailable() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            ConnectorException e = failure(tunnel(config().withConnectTimeout(Duration.ofMillis(300))
                    .withProxy(ProxyConfig.parse("http://127.0.0.1:" + silent.getLocalPort())), route(APNS, 443)));
            assertEquals(RelayError.PROXY_UNAVAILABLE, e.error());
            assertTrue(e.getMessage().endsWith("no answer to CONNECT within 300 ms"), e.getMessage());
        }
    }

    // ---- the connector's HTTP/1.1 option ---------------------------------------------------

    private static Future<Channel> connect(ConnectorConfig config, Route route) {
        try (Connector connector = new Connector(config)) {
            Future<Channel> f = connector.connect(group.next(), route, new ChannelInboundHandlerAdapter());
            assertTrue(f.awaitUninterruptibly(10, TimeUnit.SECONDS), "connect did not finish");
            return f;
        }
    }

    @Test
    void http11OptionOffersOnlyHttp11AndTakesAServerWithoutAlpn() {
        ConnectorConfig h1 = config().withUpstreamCa(pki.caPem()).withProtocol(UpstreamProtocol.HTTP_1_1);
        try (H1TestServer both = H1TestServer.builder().tls(apnsCert.chain(), apnsCert.key())
                .alpn("h2", "http/1.1").start();
             H1TestServer none = H1TestServer.builder().tls(apnsCert.chain(), apnsCert.key()).alpn().start()) {
            Channel a = success(connect(h1, route("127.0.0.1", both.port())));
            assertEquals("http/1.1", ((SslHandler) a.pipeline().get(UpstreamPipeline.UPSTREAM_TLS))
                    .applicationProtocol());
            a.close().syncUninterruptibly();
            Channel b = success(connect(h1, route("127.0.0.1", none.port())));
            assertNull(((SslHandler) b.pipeline().get(UpstreamPipeline.UPSTREAM_TLS)).applicationProtocol());
            b.close().syncUninterruptibly();
            // The h2 default still insists on h2.
            ConnectorException e = failure(connect(config().withUpstreamCa(pki.caPem()),
                    route("127.0.0.1", none.port())));
            assertEquals(RelayError.UPSTREAM_TLS_FAILED, e.error());
            assertTrue(e.getMessage().contains("did not select h2 by ALPN (selected: none)"), e.getMessage());
        }
    }

}
