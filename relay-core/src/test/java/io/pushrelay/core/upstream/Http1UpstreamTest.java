package io.pushrelay.core.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.pushrelay.core.connect.ClientIdentity;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.connect.ConnectorConfig;
import io.pushrelay.core.connect.HostResolver;
import io.pushrelay.core.connect.UpstreamPipeline;
import io.pushrelay.core.connect.UpstreamProtocol;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import io.pushrelay.core.testing.H1TestServer;
import io.pushrelay.core.testing.Ports;
import io.pushrelay.core.testing.TestPki;
import io.pushrelay.core.transport.Transports;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP/1.1 upstream against a real HTTP/1.1 server over real sockets (TLS and plain text):
 * the request as relay-post will see it, keep-alive reuse under load, answers in every framing,
 * and every way a connection can end, each request answered exactly once and none delivered
 * twice (counted at the server).
 */
class Http1UpstreamTest {
    private static final String APNS = "api.push.apple.com";
    private static final Route ROUTE = Route.of(RouteKind.APNS, APNS, APNS, 443);

    @TempDir
    static Path dir;
    static EventLoopGroup group;
    static TestPki pki;
    static TestPki.LeafFiles postCert;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void setUp() {
        group = Transports.newGroup("h1-upstream-test", 2);
        pki = TestPki.create(dir.resolve("pki"), "relay-post test CA", "relay-post.test");
        postCert = pki.server("post", "relay-post.test");
    }

    @AfterAll
    static void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T t) {
        closeables.add(t);
        return t;
    }

    private H1TestServer server(H1TestServer.Builder builder) {
        return closing(builder.start());
    }

    private static H1TestServer.Builder tls() {
        return H1TestServer.builder().tls(postCert.chain(), postCert.key());
    }

    /** The connector relay-pre builds for an https via: trust the via CA, offer http/1.1. */
    private static ConnectorConfig viaConnector() {
        return ConnectorConfig.direct().withUpstreamCa(pki.caPem()).withProtocol(UpstreamProtocol.HTTP_1_1)
                .withConnectTimeout(Duration.ofSeconds(2)).withHandshakeTimeout(Duration.ofSeconds(2))
                .withResolver(HostResolver.fixed(Map.of("relay-post.test", List.of(InetAddress.getLoopbackAddress()),
                        "misnamed.test", List.of(InetAddress.getLoopbackAddress())), HostResolver.system()));
    }

    private static Http1UpstreamConfig fast() {
        return Http1UpstreamConfig.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .withRequestTimeout(Duration.ofSeconds(5));
    }

    private Http1Upstream upstream(ConnectorConfig connectorConfig, ViaEndpoint via, Http1UpstreamConfig config) {
        Connector connector = closing(new Connector(connectorConfig));
        return closing(new Http1Upstream(connector, via, config, group));
    }

    private Http1Upstream upstream(H1TestServer server, Http1UpstreamConfig config) {
        return upstream(viaConnector(), new ViaEndpoint(true, "relay-post.test", server.port()), config);
    }

    /**
     * Sends {@code n} requests, ids {@code prefix0..}, at most {@code inFlight} unanswered, all
     * from one event loop (as the downstream connections of relay-pre do): one loop's
     * connections and limits.
     */
    private static ResponseLog run(Http1Upstream upstream, int n, int inFlight, String prefix) {
        EventLoop loop = group.next();
        ResponseLog log = new ResponseLog(inFlight);
        String token = Requests.deviceToken();
        for (int i = 0; i < n; i++) {
            log.acquire();
            String id = prefix + i;
            loop.execute(() -> upstream.send(ROUTE, Requests.push(APNS, token, "bearer e30.e30.sig", id),
                    log.sink(id)));
        }
        log.awaitAnswers(n, Duration.ofSeconds(30));
        return log;
    }

    private static ResponseLog.Answer one(Http1Upstream upstream, String id) {
        return run(upstream, 1, 1, id).answers.get(id + "0");
    }

    /** Every request answered once; every 200 processed exactly once at the server; nothing processed twice. */
    private static void assertExactlyOnce(ResponseLog log, H1TestServer server, int n) {
        assertEquals(n, log.answers.size(), "requests answered");
        assertEquals(0, log.duplicates(), "requests answered twice");
        for (ResponseLog.Answer a : log.answers.values()) {
            if (a.status() == 200) {
                assertNull(a.error());
                assertEquals(a.id(), a.apnsId());
                AtomicInteger delivered = server.deliveries().get(a.id());
                assertNotNull(delivered, a.id() + " answered 200 but never processed");
                assertEquals(1, delivered.get(), a.id() + " processed " + delivered + " times");
            }
        }
        assertEquals(0, server.deliveries().values().stream().filter(c -> c.get() > 1).count(),
                "requests processed twice at the server");
    }

    private static List<String> names(Channel ch) {
        List<String> names = new ArrayList<>(ch.pipeline().names());
        names.removeIf(n -> n.startsWith("DefaultChannelPipeline$TailContext"));
        return names;
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(condition.getAsBoolean(), what);
    }

    // ---- the request and the answer ---------------------------------------------------------

    @Test
    void requestGoesInOriginFormWithTheAuthorityInForwardedAndTheViaInHost() {
        H1TestServer server = server(tls());
        Http1Upstream upstream = upstream(server, fast());
        Http2Headers headers = new DefaultHttp2Headers()
                .set("authorization", "bearer e30.e30.sig").set("apns-topic", "com.example.relay")
                .set("apns-push-type", "alert").set("x-request-id", "shape")
                .set("forwarded", "host=evil.example").set("connection", "close").set("te", "trailers");
        RelayRequest request = new RelayRequest("POST", "https", APNS + ":443", "/3/device/abcdef0123", headers,
                ByteBufAllocator.DEFAULT.buffer().writeBytes(Requests.PAYLOAD),
                new InetSocketAddress("127.0.0.1", 50000), "d-shape", System.nanoTime());
        ResponseLog log = new ResponseLog(1);
        log.acquire();
        upstream.send(ROUTE, request, log.sink("shape"));
        log.awaitAnswers(1, Duration.ofSeconds(10));

        ResponseLog.Answer a = log.answers.get("shape");
        assertEquals(200, a.status());
        assertNull(a.error());
        assertEquals("shape", a.apnsId());
        assertTrue(a.connection().matches("v\\d+"), a.connection());
        H1TestServer.Recorded seen = server.requests().get(0);
        assertEquals("POST", seen.method());
        assertEquals("/3/device/abcdef0123", seen.uri());
        assertEquals("relay-post.test:" + server.port(), seen.header("host"));
        assertEquals("host=\"api.push.apple.com\";proto=https", seen.header("forwarded"));
        assertEquals(List.of("host=\"api.push.apple.com\";proto=https"), seen.headers().getAll("forwarded"));
        assertEquals("bearer e30.e30.sig", seen.header("authorization"));
        assertEquals("com.example.relay", seen.header("apns-topic"));
        assertEquals(String.valueOf(Requests.PAYLOAD.length), seen.header("content-length"));
        assertNull(seen.header("connection"));
        assertNull(seen.header("te"));
        assertNull(seen.header("transfer-encoding"));
        assertEquals(new String(Requests.PAYLOAD, java.nio.charset.StandardCharsets.UTF_8), seen.body());

        List<Channel> channels = upstream.channels();
        assertEquals(1, channels.size());
        assertEquals(List.of(UpstreamPipeline.UPSTREAM_H1_METER, UpstreamPipeline.UPSTREAM_TLS,
                UpstreamPipeline.UPSTREAM_H1_DECODER, UpstreamPipeline.UPSTREAM_H1), names(channels.get(0)));
    }

    @Test
    void hostModeCarriesTheAuthorityInHost() {
        H1TestServer server = server(tls());
        Http1Upstream upstream = upstream(server, fast().withAuthority(Http1UpstreamConfig.AuthorityHeader.HOST));
        assertEquals(200, one(upstream, "host").status());
        H1TestServer.Recorded seen = server.requests().get(0);
        assertEquals(APNS, seen.header("host"));
        assertNull(seen.header("forwarded"));
    }

    @Test
    void plainHttpViaGoesThroughARawTunnel() {
        H1TestServer server = server(H1TestServer.builder());
        Http1Upstream upstream = upstream(ConnectorConfig.direct(), new ViaEndpoint(false, "127.0.0.1",
                server.port()), fast());
        assertEquals(200, one(upstream, "plain").status());
        assertEquals("127.0.0.1:" + server.port(), server.requests().get(0).header("host"));
        assertEquals(List.of(UpstreamPipeline.UPSTREAM_H1_METER, UpstreamPipeline.UPSTREAM_H1_DECODER,
                UpstreamPipeline.UPSTREAM_H1), names(upstream.channels().get(0)));
    }

    @Test
    void chunkedAnswersAreAggregatedWithoutTheirFraming() {
        H1TestServer server = server(tls().chunked().bodyBytes(3000));
        Http1Upstream upstream = upstream(server, fast());
        ResponseLog log = run(upstream, 20, 4, "chunked");
        for (ResponseLog.Answer a : log.answers.values()) {
            assertEquals(200, a.status());
            assertEquals(3000, a.body().length());
            assertTrue(a.body().startsWith("abcdefghijklmnopqrstuvwxyz"));
        }
        assertExactlyOnce(log, server, 20);
    }

    @Test
    void fieldsThatWouldSplitTheRequestAreRefusedAndNothingIsSent() {
        H1TestServer server = server(tls());
        Http1Upstream upstream = upstream(server, fast());
        Http2Headers headers = new DefaultHttp2Headers(false).set("apns-topic", "x\r\nInjected: yes");
        RelayRequest request = new RelayRequest("POST", "https", APNS, "/3/device/ab", headers,
                ByteBufAllocator.DEFAULT.buffer().writeBytes(Requests.PAYLOAD),
                new InetSocketAddress("127.0.0.1", 50000), "d-crlf", System.nanoTime());
        ResponseLog log = new ResponseLog(1);
        log.acquire();
        upstream.send(ROUTE, request, log.sink("crlf"));
        log.awaitAnswers(1, Duration.ofSeconds(10));
        assertEquals(RelayError.BAD_REQUEST, log.answers.get("crlf").error());
        assertEquals(200, one(upstream, "after").status());
        assertEquals(1, server.requests().size(), "only the good request reached the server");
    }

    // ---- keep-alive and load ---------------------------------------------------------------

    @Test
    void thousandsOfRequestsReuseAFewKeepAliveConnections() {
        H1TestServer server = server(tls());
        Http1Upstream upstream = upstream(server, fast());
        int n = 1500;
        int inFlight = 16;
        long start = System.nanoTime();
        ResponseLog log = run(upstream, n, inFlight, "load");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertExactlyOnce(log, server, n);
        assertEquals(Map.of(200, (long) n), log.byOutcome());
        Http1UpstreamStats stats = upstream.stats();
        assertTrue(server.connections() <= inFlight, "connections: " + server.connections());
        assertEquals(server.connections(), stats.connectionsOpened());
        assertEquals(n - stats.connectionsOpened(), stats.reusedRequests(), stats.toString());
        assertEquals(0, stats.retries() + stats.resets() + stats.timeouts() + stats.keepAliveRaces(), stats.toString());
        assertEquals(0, stats.connectionsBusy());
        assertEquals(0, stats.pendingRequests());
        System.out.printf("http1 upstream, TLS, %d requests, %d in flight: %d ms, %.0f req/s, %d connections%n",
                n, inFlight, millis, n * 1000.0 / millis, server.connections());
    }

    @Test
    void sentFromAnEventLoopTheRequestStaysOnThatLoop() throws Exception {
        H1TestServer server = server(tls());
        Http1Upstream upstream = upstream(server, fast());
        EventLoop loop = group.next();
        Thread loopThread = loop.submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
        ResponseLog log = new ResponseLog(100);
        String token = Requests.deviceToken();
        for (int i = 0; i < 100; i++) {
            log.acquire();
            String id = "loop" + i;
            loop.execute(() -> upstream.send(ROUTE, Requests.push(APNS, token, null, id), log.sink(id)));
        }
        log.awaitAnswers(100, Duration.ofSeconds(10));
        for (ResponseLog.Answer a : log.answers.values()) {
            assertEquals(200, a.status());
            assertSame(loopThread, a.thread(), "answered on the caller's loop");
        }
        for (Channel ch : upstream.channels()) {
            assertSame(loop, ch.eventLoop());
        }
    }

    @Test
    void sentFromOutsideAnyLoopRequestsSpreadOverTheGroup() {
        H1TestServer server = server(tls());
        Http1Upstream upstream = upstream(server, fast());
        ResponseLog log = new ResponseLog(8);
        String token = Requests.deviceToken();
        for (int i = 0; i < 200; i++) {
            log.acquire();
            upstream.send(ROUTE, Requests.push(APNS, token, null, "off" + i), log.sink("off" + i));
        }
        log.awaitAnswers(200, Duration.ofSeconds(10));
        assertExactlyOnce(log, server, 200);
        assertEquals(2, upstream.channels().stream().map(Channel::eventLoop).distinct().count(),
                "each of the group's loops has its own connections");
    }

    @Test
    void theUpstreamsConnectionCloseIsHonoured() {
        H1TestServer server = server(tls().connectionCloseAfter(3));
        Http1Upstream upstream = upstream(server, fast());
        ResponseLog log = run(upstream, 30, 1, "close");
        assertExactlyOnce(log, server, 30);
        assertEquals(Map.of(200, 30L), log.byOutcome());
        assertEquals(10, server.connections());
        assertEquals(0, upstream.stats().closedIdleByUpstream(), "a Connection: close is not an idle close");
    }

    @Test
    void idleConnectionsTheUpstreamClosesAreNoticedAndNeverUsed() throws Exception {
        H1TestServer server = server(tls().idleTimeout(Duration.ofMillis(150)));
        Http1Upstream upstream = upstream(server, fast());
        assertExactlyOnce(run(upstream, 50, 4, "before"), server, 50);
        int connectionsBefore = server.connections();
        await(() -> server.openConnections() == 0 && upstream.stats().connectionsOpen() == 0,
                "idle connections closed by the server and noticed: " + upstream.stats());
        ResponseLog after = run(upstream, 50, 4, "after");
        assertEquals(Map.of(200, 50L), after.byOutcome());
        Http1UpstreamStats stats = upstream.stats();
        assertTrue(stats.closedIdleByUpstream() >= connectionsBefore, stats.toString());
        assertEquals(0, stats.resets() + stats.retries() + stats.keepAliveRaces(), stats.toString());
        assertTrue(server.connections() > connectionsBefore, "new connections after the idle close");
    }

    @Test
    void ourIdleTimeoutClosesUnusedConnectionsFirst() throws Exception {
        H1TestServer server = server(tls());
        Http1Upstream upstream = upstream(server, fast().withIdleTimeout(Duration.ofMillis(100)));
        run(upstream, 20, 4, "idle");
        await(() -> upstream.stats().connectionsOpen() == 0 && server.openConnections() == 0,
                "idle connections closed by the relay: " + upstream.stats());
        assertEquals(0, upstream.stats().closedIdleByUpstream());
    }

    // ---- connections that end -----------------------------------------------------------------

    @Test
    void keepAliveRaceIsAnsweredResetAndNotRetried() {
        // The server closes a reused connection when the request arrives, without reading it: as
        // when a request crosses the server's idle close. Nothing tells the relay it was not read.
        H1TestServer server = server(tls().closeUnreadOn(2));
        Http1Upstream upstream = upstream(server, fast());
        ResponseLog log = run(upstream, 3, 1, "race");
        assertEquals(200, log.answers.get("race0").status());
        ResponseLog.Answer raced = log.answers.get("race1");
        assertEquals(RelayError.UPSTREAM_RESET, raced.error());
        assertEquals(502, raced.status());
        assertEquals(200, log.answers.get("race2").status(), "the next request goes on a new connection");
        Http1UpstreamStats stats = upstream.stats();
        assertEquals(1, stats.keepAliveRaces(), stats.toString());
        assertEquals(0, stats.retries(), "a request whose bytes reached the socket is never sent again");
        assertEquals(1, server.closedUnread());
        assertNull(server.deliveries().get("race1"));
        assertEquals(2, server.connections());
    }

    @Test
    void processedButUnansweredIsResetAndNeverSentTwice() {
        H1TestServer server = server(tls().dropAfterProcessing(2));
        Http1Upstream upstream = upstream(server, fast());
        ResponseLog log = run(upstream, 40, 1, "drop");
        assertExactlyOnce(log, server, 40);
        long resets = log.byOutcome().getOrDefault(RelayError.UPSTREAM_RESET, 0L);
        assertEquals(20, resets, log.byOutcome().toString());
        assertEquals(40, server.processed(), "every request processed once, none twice");
        assertEquals(0, upstream.stats().retries());
    }

    @Test
    void aRequestNoByteOfWhichLeftIsSentAgainOnAFreshConnection() throws Exception {
        H1TestServer server = server(tls());
        Http1Upstream upstream = upstream(server, fast());
        EventLoop loop = group.next();
        ResponseLog log = new ResponseLog(2);
        String token = Requests.deviceToken();
        log.acquire();
        loop.execute(() -> upstream.send(ROUTE, Requests.push(APNS, token, null, "first"), log.sink("first")));
        log.awaitAnswers(1, Duration.ofSeconds(10));
        log.acquire();
        CompletableFuture<Void> sent = new CompletableFuture<>();
        loop.execute(() -> {
            // The loop is busy while the upstream resets the idle connection: the reset waits
            // unread in the socket, the connection still looks usable, and the write fails at once.
            server.resetAll();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            upstream.send(ROUTE, Requests.push(APNS, token, null, "second"), log.sink("second"));
            sent.complete(null);
        });
        sent.get(5, TimeUnit.SECONDS);
        log.awaitAnswers(2, Duration.ofSeconds(10));
        assertEquals(200, log.answers.get("second").status(), () -> log.answers.get("second").toString());
        Http1UpstreamStats stats = upstream.stats();
        assertEquals(1, stats.retries(), stats.toString());
        assertEquals(0, stats.keepAliveRaces());
        assertEquals(2, server.connections());
        assertExactlyOnce(log, server, 2);
    }

    @Test
    void slowAnswerTimesOutAndItsConnectionCloses() throws Exception {
        H1TestServer server = server(tls().answerDelay(Duration.ofMillis(1500)));
        Http1Upstream upstream = upstream(server, fast().withRequestTimeout(Duration.ofMillis(300)));
        long start = System.nanoTime();
        ResponseLog.Answer a = one(upstream, "slow");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(RelayError.UPSTREAM_TIMEOUT, a.error());
        assertEquals(504, a.status());
        assertTrue(millis >= 250 && millis < 1400, "took " + millis + " ms");
        await(() -> server.openConnections() == 0 && upstream.stats().connectionsOpen() == 0,
                "the connection of a timed-out request is closed");
        assertEquals(1, upstream.stats().timeouts());
    }

    @Test
    void oversizedAnswersAreResetAndTheirConnectionClosed() {
        for (H1TestServer.Builder b : List.of(tls().bodyBytes(5000), tls().bodyBytes(5000).chunked())) {
            H1TestServer server = server(b);
            Http1Upstream upstream = upstream(server, fast().withMaxResponseBytes(4096));
            ResponseLog log = run(upstream, 3, 1, "big");
            assertEquals(Map.of(RelayError.UPSTREAM_RESET, 3L), log.byOutcome());
            assertEquals(3, server.connections(), "a connection with an unread answer is never reused");
        }
    }

    @Test
    void refusedEndpointFailsFastAndBacksOff() throws IOException {
        int closed = Ports.closed();
        Http1Upstream upstream = upstream(viaConnector(), new ViaEndpoint(true, "relay-post.test", closed),
                fast().withBackoff(Duration.ofSeconds(5), Duration.ofSeconds(5)));
        long start = System.nanoTime();
        ResponseLog log = run(upstream, 5, 1, "refused");
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2));
        assertEquals(Map.of(RelayError.UPSTREAM_UNAVAILABLE, 5L), log.byOutcome());
        assertEquals(1, upstream.stats().connectFailures(), "the others failed at once while backing off");
    }

    @Test
    void untrustedOrMisnamedViaCertificateIsTlsFailed() {
        H1TestServer server = server(tls());
        ConnectorConfig untrusted = viaConnector().withUpstreamCa(null);
        ResponseLog.Answer a = one(upstream(untrusted, new ViaEndpoint(true, "relay-post.test", server.port()),
                fast()), "untrusted");
        assertEquals(RelayError.UPSTREAM_TLS_FAILED, a.error());
        ResponseLog.Answer b = one(upstream(viaConnector(), new ViaEndpoint(true, "misnamed.test", server.port()),
                fast()), "misnamed");
        assertEquals(RelayError.UPSTREAM_TLS_FAILED, b.error(), "the certificate names relay-post.test only");
        assertEquals(0, server.requests().size());
    }

    @Test
    void clientCertificateFromPemIsPresented() {
        TestPki.LeafFiles client = pki.client("relay-pre");
        H1TestServer server = server(tls().requireClientCert(pki.caPem()));
        ConnectorConfig mtls = viaConnector().withClientCert(ClientIdentity.fromPem(client.chain(), client.key()));
        assertEquals(200, one(upstream(mtls, new ViaEndpoint(true, "relay-post.test", server.port()), fast()),
                "mtls").status());
        assertEquals("CN=relay-pre", server.clientCertificates().get(0).getSubjectX500Principal().getName()
                .replaceAll(",.*", ""));
        ResponseLog.Answer without = one(upstream(server, fast()), "anonymous");
        assertNotNull(without.error(), "no client certificate, no answer from the server: " + without);
        assertEquals(1, server.processed());
    }

    @Test
    void anHttpsViaNeedsAnHttp11Connector() {
        try (Connector h2 = new Connector(ConnectorConfig.direct())) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> new Http1Upstream(h2, new ViaEndpoint(true, "relay-post.test", 8443), fast(), group));
            assertTrue(e.getMessage().contains("withProtocol(UpstreamProtocol.HTTP_1_1)"), e.getMessage());
        }
    }

    // ---- limits, drain, close ----------------------------------------------------------------

    @Test
    void beyondTheQueueRequestsAreOverloadedAndCloseAnswersTheRest() throws Exception {
        H1TestServer server = server(tls().neverAnswer());
        Http1Upstream upstream = upstream(server, fast().withMaxConnectionsPerLoop(1).withMaxPendingPerLoop(2));
        EventLoop loop = group.next();
        ResponseLog log = new ResponseLog(10);
        String token = Requests.deviceToken();
        log.acquire();
        loop.execute(() -> upstream.send(ROUTE, Requests.push(APNS, token, null, "q0"), log.sink("q0")));
        await(() -> server.processed() == 1, "the first on the one connection");
        for (int i = 1; i < 5; i++) {
            log.acquire();
            String id = "q" + i;
            loop.execute(() -> upstream.send(ROUTE, Requests.push(APNS, token, null, id), log.sink(id)));
        }
        await(() -> log.total() == 2, "two answered at once");
        assertEquals(Map.of(RelayError.OVERLOADED, 2L), log.byOutcome());
        Http1UpstreamStats stats = upstream.stats();
        assertEquals(2, stats.pendingRequests(), stats.toString());
        assertEquals(1, stats.connectionsBusy(), stats.toString());
        upstream.close();
        log.awaitAnswers(5, Duration.ofSeconds(5));
        assertEquals(Map.of(RelayError.OVERLOADED, 2L, RelayError.SHUTTING_DOWN, 2L, RelayError.UPSTREAM_RESET, 1L),
                log.byOutcome());
        assertEquals(0, log.duplicates());
        ResponseLog late = new ResponseLog(1);
        late.acquire();
        upstream.send(ROUTE, Requests.push(APNS, token, null, "late"), late.sink("late"));
        assertEquals(RelayError.SHUTTING_DOWN, late.answers.get("late").error());
    }

    @Test
    void drainLetsAcceptedRequestsFinishThenClosesEverything() throws Exception {
        H1TestServer server = server(tls().answerDelay(Duration.ofMillis(300)));
        Http1Upstream upstream = upstream(server, fast().withMaxConnectionsPerLoop(2));
        ResponseLog log = new ResponseLog(20);
        String token = Requests.deviceToken();
        for (int i = 0; i < 10; i++) {
            log.acquire();
            upstream.send(ROUTE, Requests.push(APNS, token, null, "d" + i), log.sink("d" + i));
        }
        await(() -> server.processed() >= 1, "requests on their way");
        CompletableFuture<Void> drained = upstream.drain(Duration.ofSeconds(10));
        log.acquire();
        upstream.send(ROUTE, Requests.push(APNS, token, null, "refused"), log.sink("refused"));
        drained.get(10, TimeUnit.SECONDS);
        assertEquals(11, log.total());
        assertEquals(RelayError.SHUTTING_DOWN, log.answers.get("refused").error());
        for (int i = 0; i < 10; i++) {
            assertEquals(200, log.answers.get("d" + i).status(), "accepted before the drain: answered");
        }
        Http1UpstreamStats stats = upstream.stats();
        assertEquals(0, stats.connectionsOpen(), stats.toString());
        await(() -> server.openConnections() == 0, "every connection closed");
    }
}
