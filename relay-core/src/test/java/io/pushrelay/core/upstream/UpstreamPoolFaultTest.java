package io.pushrelay.core.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.Http2Headers;
import io.pushrelay.core.connect.ClientIdentity;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.connect.ConnectorConfig;
import io.pushrelay.core.connect.ProxyConfig;
import io.pushrelay.core.connect.UpstreamPipeline;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import io.pushrelay.core.testing.H2TestServer;
import io.pushrelay.core.testing.Ports;
import io.pushrelay.core.testing.TestPki;
import io.pushrelay.core.transport.Transports;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pool against an h2 upstream that misbehaves on purpose (GOAWAY, REFUSED_STREAM, dropped
 * connections, restarts, silence): every request is answered exactly once, none hangs, only what
 * the upstream provably did not process is retried, and nothing is delivered twice (counted at
 * the server).
 */
class UpstreamPoolFaultTest {
    private static final String APNS = "api.push.apple.com";

    @TempDir
    static Path dir;
    static EventLoopGroup group;
    static TestPki pki;
    static TestPki.LeafFiles cert;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void setUp() {
        group = Transports.newGroup("pool-fault-test", 2);
        pki = TestPki.create(dir.resolve("pki"), "pool test CA");
        cert = pki.server("apns", APNS);
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

    private H2TestServer server(H2TestServer.Builder builder) {
        H2TestServer server = builder.start();
        closeables.add(server);
        return server;
    }

    private UpstreamPool pool(ConnectorConfig connectorConfig, UpstreamConfig config) {
        Connector connector = new Connector(connectorConfig);
        closeables.add(connector);
        UpstreamPool pool = new UpstreamPool(connector, config, group);
        closeables.add(pool);
        return pool;
    }

    private UpstreamPool pool(UpstreamConfig config) {
        return pool(ConnectorConfig.direct().withUpstreamCa(pki.caPem()), config);
    }

    private static int loopCount() {
        int loops = 0;
        for (var ignored : group) {
            loops++;
        }
        return loops;
    }

    private static UpstreamConfig fast() {
        return UpstreamConfig.defaults().withBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .withRequestTimeout(Duration.ofSeconds(5));
    }

    private static Route route(H2TestServer server) {
        return Route.of(RouteKind.APNS, APNS, "127.0.0.1", server.port());
    }

    /** Sends {@code n} requests with at most {@code inFlight} unanswered, ids r0..r(n-1). */
    private static ResponseLog run(UpstreamPool pool, Route route, int n, int inFlight) {
        return run(pool, route, n, inFlight, i -> { });
    }

    /** As above, calling {@code beforeSend} with each index first. */
    private static ResponseLog run(UpstreamPool pool, Route route, int n, int inFlight, IntConsumer beforeSend) {
        ResponseLog log = new ResponseLog(inFlight);
        String token = Requests.deviceToken();
        for (int i = 0; i < n; i++) {
            beforeSend.accept(i);
            log.acquire();
            String id = "r" + i;
            pool.send(route, Requests.push(APNS, token, null, id), log.sink(id));
        }
        log.awaitAnswers(n, Duration.ofSeconds(30));
        return log;
    }

    /** Every request answered once; every 200 delivered exactly once at the server; none delivered twice. */
    private static void assertExactlyOnce(ResponseLog log, H2TestServer server, int n) {
        assertEquals(n, log.answers.size(), "requests answered");
        assertEquals(0, log.duplicates(), "requests answered twice");
        Map<String, AtomicInteger> deliveries = server.deliveries();
        for (ResponseLog.Answer a : log.answers.values()) {
            AtomicInteger delivered = deliveries.get(a.id());
            if (a.status() == 200) {
                assertNull(a.error());
                assertEquals(a.id(), a.apnsId());
                assertNotNull(delivered, a.id() + " answered 200 but never processed");
                assertEquals(1, delivered.get(), a.id() + " processed " + delivered + " times");
            }
        }
        long twice = deliveries.values().stream().filter(c -> c.get() > 1).count();
        assertEquals(0, twice, "requests processed twice at the server");
    }

    @Test
    void requestHeadIsWhatApnsExpects() {
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()));
        UpstreamPool pool = pool(fast());
        ResponseLog log = new ResponseLog(1);
        log.acquire();
        String token = Requests.deviceToken();
        pool.send(route(server), Requests.push("api.push.apple.com:443", token, "bearer abc.def.ghi", "one"),
                log.sink("one"));
        log.awaitAnswers(1, Duration.ofSeconds(10));
        ResponseLog.Answer a = log.answers.get("one");
        assertEquals(200, a.status());
        assertTrue(a.connection().matches("u\\d+"), a.connection());
        Http2Headers seen = server.lastRequestHeaders();
        assertEquals("POST", seen.method().toString());
        assertEquals("https", seen.scheme().toString());
        // The route's authority, although the connection went to 127.0.0.1.
        assertEquals(APNS, seen.authority().toString());
        assertEquals("/3/device/" + token, seen.path().toString());
        assertEquals("bearer abc.def.ghi", seen.get("authorization").toString());
        assertEquals(Requests.TOPIC, seen.get("apns-topic").toString());
        List<io.netty.channel.Channel> channels = pool.channels();
        assertEquals(1, channels.size());
        List<String> names = new ArrayList<>(channels.get(0).pipeline().names());
        names.removeIf(n -> n.startsWith("DefaultChannelPipeline$TailContext"));
        assertEquals(List.of(UpstreamPipeline.UPSTREAM_TLS, UpstreamPipeline.UPSTREAM_FLUSH,
                UpstreamPipeline.UPSTREAM_H2), names);
    }

    @Test
    void goAwayDrainsAndRetriesOnlyStreamsAboveLastStreamId() {
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()).goAwayAfter(300));
        UpstreamPool pool = pool(fast());
        int n = 4000;
        ResponseLog log = run(pool, route(server), n, 150);
        assertExactlyOnce(log, server, n);
        assertEquals(Map.of(200, (long) n), log.byOutcome());
        assertEquals(n, server.processed());
        assertTrue(server.goAwaysSent() >= 10, "GOAWAYs: " + server.goAwaysSent());
        UpstreamStats stats = pool.stats();
        assertTrue(stats.goAways() >= 10, stats.toString());
        assertTrue(stats.retries() > 0, "streams above a GOAWAY's last-stream-id were retried: " + stats);
        assertEquals(0, stats.streamsInFlight());
        assertEquals(0, stats.pendingRequests());
    }

    @Test
    void goAwaysAndRefusalsTogetherShouldNotExhaustARequestsRetries() {
        // Many streams in flight on few connections: the same request can be above last-stream-id
        // again and again, and refused in between; GOAWAY retries do not use up the refusal budget.
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()).goAwayAfter(100).refuseEvery(25));
        UpstreamPool pool = pool(fast().withMaxRetries(3));
        int n = 3000;
        ResponseLog log = run(pool, route(server), n, 300);
        assertExactlyOnce(log, server, n);
        assertEquals(Map.of(200, (long) n), log.byOutcome());
        assertEquals(n, server.processed());
        assertTrue(server.goAwaysSent() >= 10, "GOAWAYs: " + server.goAwaysSent());
    }

    @Test
    void refusedStreamsAreRetriedAndSucceed() {
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()).refuseEvery(7));
        UpstreamPool pool = pool(fast().withMaxRetries(10));
        int n = 3000;
        ResponseLog log = run(pool, route(server), n, 120);
        assertExactlyOnce(log, server, n);
        assertEquals(Map.of(200, (long) n), log.byOutcome());
        assertTrue(server.refused() > 300, "refused: " + server.refused());
        assertEquals(server.refused(), pool.stats().retries());
        assertEquals(n, server.processed());
    }

    @Test
    void droppedConnectionsResetInFlightStreamsWithoutRetrying() {
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()).dropAfter(250)
                .answerDelay(Duration.ofMillis(2)));
        UpstreamPool pool = pool(fast());
        int n = 3000;
        ResponseLog log = run(pool, route(server), n, 120);
        assertExactlyOnce(log, server, n);
        Map<Object, Long> outcomes = log.byOutcome();
        assertTrue(server.drops() >= 5, "drops: " + server.drops());
        assertTrue(outcomes.getOrDefault(RelayError.UPSTREAM_RESET, 0L) > 0, outcomes.toString());
        assertTrue(outcomes.getOrDefault(200, 0L) > n / 2, outcomes.toString());
        for (Object outcome : outcomes.keySet()) {
            assertTrue(outcome.equals(200) || outcome == RelayError.UPSTREAM_RESET
                    || outcome == RelayError.UPSTREAM_UNAVAILABLE, outcomes.toString());
        }
        // Lost mid-stream means maybe processed: never retried.
        assertEquals(0, pool.stats().retries());
    }

    @Test
    void upstreamRestartMidRunAnswersEveryRequestOnce() {
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()).answerDelay(Duration.ofMillis(1)));
        UpstreamPool pool = pool(fast());
        int n = 3000;
        long[] restartedAt = new long[1];
        ResponseLog log = run(pool, route(server), n, 100, i -> {
            if (i == 1000) {
                server.stop(); // connections dropped with streams in flight, then refused
            } else if (i == 1500) {
                server.start();
                restartedAt[0] = System.nanoTime();
            } else if (i > 1500 && i % 100 == 0) {
                sleep(20); // give the backoff time to expire while the run goes on
            }
        });
        assertExactlyOnce(log, server, n);
        Map<Object, Long> outcomes = log.byOutcome();
        for (Object outcome : outcomes.keySet()) {
            assertTrue(outcome.equals(200) || outcome == RelayError.UPSTREAM_RESET
                    || outcome == RelayError.UPSTREAM_UNAVAILABLE, outcomes.toString());
        }
        assertTrue(outcomes.getOrDefault(RelayError.UPSTREAM_UNAVAILABLE, 0L) > 0, outcomes.toString());
        // Back after the restart: the last requests all went through.
        for (int i = 2900; i < n; i++) {
            assertEquals(200, log.answers.get("r" + i).status(), "r" + i + " " + outcomes);
        }
        assertTrue(restartedAt[0] > 0);
    }

    @Test
    void silentUpstreamTimesOutAndStreamsAreCancelled() {
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()).neverAnswer());
        UpstreamPool pool = pool(fast().withRequestTimeout(Duration.ofMillis(300)));
        ResponseLog log = new ResponseLog(20);
        for (int i = 0; i < 20; i++) {
            log.acquire();
            pool.send(route(server), Requests.push(APNS, Requests.deviceToken(), null, "t" + i), log.sink("t" + i));
        }
        log.awaitAnswers(20, Duration.ofSeconds(5));
        for (ResponseLog.Answer a : log.answers.values()) {
            assertEquals(RelayError.UPSTREAM_TIMEOUT, a.error());
            assertEquals(504, a.status());
            assertEquals("{\"reason\":\"RelayUpstreamTimeout\"}", a.body());
            long millis = TimeUnit.NANOSECONDS.toMillis(a.elapsedNanos());
            assertTrue(millis >= 290 && millis < 1500, "answered after " + millis + " ms");
        }
        assertEventually(() -> server.cancelled() == 20, "RST_STREAM CANCEL at the server: " + server.cancelled());
        assertEquals(20, pool.stats().timeouts());
    }

    @Test
    void lowMaxConcurrentStreamsOpensMoreConnectionsAndNeverExceedsTheLimit() {
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()).maxConcurrentStreams(4)
                .answerDelay(Duration.ofMillis(3)));
        UpstreamPool pool = pool(fast().withMaxConnectionsPerKey(6));
        int n = 600;
        ResponseLog log = run(pool, route(server), n, 100);
        assertExactlyOnce(log, server, n);
        assertEquals(Map.of(200, (long) n), log.byOutcome());
        assertTrue(server.maxConcurrentSeen() <= 4, "streams at once on one connection: " + server.maxConcurrentSeen());
        Set<String> connections = new HashSet<>();
        log.answers.values().forEach(a -> connections.add(a.connection()));
        assertTrue(connections.size() > 2, "connections used: " + connections);
        // Per key and event loop: 2 loops x 6.
        assertTrue(server.connections() <= 12, "connections: " + server.connections());
    }

    @Test
    void raisedMaxConcurrentStreamsIsUsedAtOnce() {
        // Like APNS: one stream at first, many once the first request went through.
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()).maxConcurrentStreams(1)
                .raiseMaxConcurrentStreams(1, 50).answerDelay(Duration.ofMillis(5)));
        UpstreamPool pool = pool(fast().withMaxConnectionsPerKey(1));
        int n = 400;
        ResponseLog log = run(pool, route(server), n, 100);
        assertExactlyOnce(log, server, n);
        assertEquals(Map.of(200, (long) n), log.byOutcome());
        assertTrue(server.connections() <= 2, "one connection per event loop: " + server.connections());
        assertTrue(server.maxConcurrentSeen() > 10 && server.maxConcurrentSeen() <= 50,
                "streams at once: " + server.maxConcurrentSeen());
    }

    @Test
    void fullQueueIsOverloaded() throws Exception {
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()).neverAnswer()
                .maxConcurrentStreams(1));
        UpstreamPool pool = pool(fast().withMaxConnectionsPerKey(1).withMaxPendingPerKey(5)
                .withRequestTimeout(Duration.ofMillis(500)));
        ResponseLog log = new ResponseLog(100);
        EventLoop loop = group.next();
        String token = Requests.deviceToken();
        // Warm up one connection so that the next burst sees it full.
        loop.submit(() -> {
            log.acquire();
            pool.send(route(server), Requests.push(APNS, token, null, "first"), log.sink("first"));
        }).get();
        assertEventually(() -> pool.stats().streamsInFlight() == 1, "first stream open");
        loop.submit(() -> {
            for (int i = 0; i < 20; i++) {
                log.acquire();
                pool.send(route(server), Requests.push(APNS, token, null, "o" + i), log.sink("o" + i));
            }
        }).get();
        log.awaitAnswers(21, Duration.ofSeconds(5));
        Map<Object, Long> outcomes = log.byOutcome();
        assertEquals(15L, outcomes.get(RelayError.OVERLOADED), outcomes.toString());
        assertEquals(6L, outcomes.get(RelayError.UPSTREAM_TIMEOUT), outcomes.toString());
        assertEquals(15, pool.stats().overloaded());
    }

    @Test
    void proxyDownFailsFastAndBackoffKeepsFailingFast() throws IOException {
        int closed = Ports.closed();
        UpstreamPool pool = pool(ConnectorConfig.direct().withUpstreamCa(pki.caPem())
                        .withProxy(ProxyConfig.parse("http://127.0.0.1:" + closed)),
                fast().withBackoff(Duration.ofSeconds(5), Duration.ofSeconds(30)));
        Route route = Route.of(RouteKind.APNS, APNS, APNS, 443);
        ResponseLog log = new ResponseLog(1);
        for (int i = 0; i < 10; i++) {
            log.acquire();
            pool.send(route, Requests.push(APNS, Requests.deviceToken(), null, "p" + i), log.sink("p" + i));
        }
        log.awaitAnswers(10, Duration.ofSeconds(5));
        for (ResponseLog.Answer a : log.answers.values()) {
            assertEquals(RelayError.PROXY_UNAVAILABLE, a.error(), a.toString());
            assertEquals(503, a.status());
            assertTrue(a.elapsedNanos() < TimeUnit.SECONDS.toNanos(1), a.toString());
        }
        // One attempt per event loop (each has its own connections); the rest failed fast during the backoff.
        assertTrue(pool.stats().connectFailures() <= 2, pool.stats().toString());
    }

    @Test
    void backoffShouldKeepDoublingWhileRequestsKeepComing() throws Exception {
        int closed = Ports.closed();
        // An upstream that is down under steady traffic: every 50 ms a burst of 40 requests, each of
        // whose answers costs its sink 1 ms, so that answering a queue outlasts the first wait (a
        // relay-post reading pipelined requests while a connect is tried queues the same way).
        // With waits of 20, 40, 80 ... ms doubling (less up to a fifth), 3 s hold at most 9 attempts
        // per event loop; a backoff that started over (the pool forgotten while it answered its
        // queue) tried about every burst, some 30 times in all.
        UpstreamPool pool = pool(fast().withBackoff(Duration.ofMillis(20), Duration.ofSeconds(5)));
        Route route = Route.of(RouteKind.APNS, APNS, "127.0.0.1", closed);
        ResponseLog log = new ResponseLog(100_000);
        int sent = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (System.nanoTime() < end) {
            for (int i = 0; i < 40; i++, sent++) {
                ResponseSink answered = log.sink("p" + sent);
                pool.send(route, Requests.push(APNS, Requests.deviceToken(), null, "p" + sent), response -> {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                    answered.respond(response);
                });
            }
            Thread.sleep(50);
        }
        log.awaitAnswers(sent, Duration.ofSeconds(30));
        for (ResponseLog.Answer a : log.answers.values()) {
            assertEquals(RelayError.UPSTREAM_UNAVAILABLE, a.error(), a.toString());
        }
        int loops = loopCount();
        assertTrue(pool.stats().connectFailures() <= 9L * loops,
                pool.stats().connectFailures() + " attempts in 3 s on " + loops + " loop(s), " + sent + " requests");
    }

    @Test
    void senderIdentitiesAgainstADownUpstreamShouldNotPileUpPools() throws Exception {
        int closed = Ports.closed();
        // A pool stays after a failed connect (it holds the backoff); one per team, 2,000 teams, an
        // upstream that never comes up: the idle ones are swept out when a loop holds too many.
        UpstreamPool pool = pool(fast().withBackoff(Duration.ofMillis(5), Duration.ofMillis(10)));
        Route route = Route.of(RouteKind.APNS, APNS, "127.0.0.1", closed);
        ResponseLog log = new ResponseLog(50);
        int teams = 2_000;
        for (int i = 0; i < teams; i++) {
            log.acquire();
            String claims = java.util.Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(("{\"iss\":\"TEAM" + i + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            pool.send(route, Requests.push(APNS, Requests.deviceToken(), "bearer eyJhbGciOiJFUzI1NiJ9." + claims + ".c2ln",
                    "p" + i), log.sink("p" + i));
            if (i % 100 == 99) {
                Thread.sleep(20); // past every backoff: the pools so far are idle
            }
        }
        log.awaitAnswers(teams, Duration.ofSeconds(10));
        for (ResponseLog.Answer a : log.answers.values()) {
            assertEquals(RelayError.UPSTREAM_UNAVAILABLE, a.error(), a.toString());
        }
        int loops = loopCount();
        int held = pool.keyPoolCount();
        assertTrue(held <= 2 * LoopPool.SWEEP_ABOVE * loops, held + " key pools held for " + teams + " teams");
    }

    @Test
    void untrustedUpstreamIsTlsFailed() {
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()));
        UpstreamPool pool = pool(ConnectorConfig.direct(), fast());
        ResponseLog log = run(pool, route(server), 3, 3);
        for (ResponseLog.Answer a : log.answers.values()) {
            assertEquals(RelayError.UPSTREAM_TLS_FAILED, a.error());
            assertEquals(502, a.status());
        }
    }

    @Test
    void clientCertificateIsPresentedWhenRequired() {
        TestPki clients = TestPki.create(dir.resolve("clients"), "client CA");
        TestPki.LeafFiles client = clients.client("relay-client");
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key())
                .requireClientCert(clients.caPem()));
        ClientIdentity identity = ClientIdentity.load(client.p12(), "changeit".toCharArray());
        UpstreamPool withCert = pool(ConnectorConfig.direct().withUpstreamCa(pki.caPem()).withClientCert(identity),
                fast());
        ResponseLog ok = run(withCert, route(server), 50, 20);
        assertEquals(Map.of(200, 50L), ok.byOutcome());

        UpstreamPool without = pool(fast());
        ResponseLog refused = run(without, route(server), 3, 3);
        for (ResponseLog.Answer a : refused.answers.values()) {
            assertEquals(RelayError.UPSTREAM_TLS_FAILED, a.error(), a.toString());
        }
    }

    @Test
    void pingKeepsAliveAndIdleConnectionsClose() {
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()));
        UpstreamPool pool = pool(fast().withPing(Duration.ofMillis(100), Duration.ofSeconds(2))
                .withIdleTimeout(Duration.ofMillis(600)));
        ResponseLog log = run(pool, route(server), 1, 1);
        assertEquals(Map.of(200, 1L), log.byOutcome());
        assertEventually(() -> server.pings() >= 2, "PINGs at the server: " + server.pings());
        assertEventually(() -> pool.stats().connectionsOpen() == 0 && server.openConnections() == 0,
                "idle connection closed: " + pool.stats());
    }

    @Test
    void sendFromAnEventLoopIsAnsweredOnThatLoop() throws Exception {
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()));
        UpstreamPool pool = pool(fast());
        ResponseLog log = new ResponseLog(1000);
        List<Thread> loopThreads = new ArrayList<>();
        for (int l = 0; l < 2; l++) {
            EventLoop loop = group.next();
            int base = l * 100;
            loopThreads.add(loop.submit(() -> {
                for (int i = 0; i < 100; i++) {
                    String id = "e" + (base + i);
                    log.acquire();
                    pool.send(route(server), Requests.push(APNS, Requests.deviceToken(), null, id), log.sink(id));
                }
                return Thread.currentThread();
            }).get());
        }
        log.awaitAnswers(200, Duration.ofSeconds(10));
        for (ResponseLog.Answer a : log.answers.values()) {
            int index = Integer.parseInt(a.id().substring(1));
            assertEquals(200, a.status());
            // The connection lives on the sender's loop: the answer comes back on it.
            assertSame(loopThreads.get(index / 100), a.thread(), a.id());
        }
    }

    @Test
    void drainLetsAcceptedRequestsFinishThenCloses() throws Exception {
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()).answerDelay(Duration.ofMillis(200)));
        UpstreamPool pool = pool(fast());
        ResponseLog log = new ResponseLog(100);
        for (int i = 0; i < 50; i++) {
            log.acquire();
            pool.send(route(server), Requests.push(APNS, Requests.deviceToken(), null, "d" + i), log.sink("d" + i));
        }
        CompletableFuture<Void> drained = pool.drain(Duration.ofSeconds(5));
        log.acquire();
        pool.send(route(server), Requests.push(APNS, Requests.deviceToken(), null, "late"), log.sink("late"));
        drained.get(6, TimeUnit.SECONDS);
        assertEquals(51, log.total());
        assertEquals(RelayError.SHUTTING_DOWN, log.answers.get("late").error());
        assertEquals(50, log.answers.values().stream().filter(a -> a.status() == 200).count());
        assertEquals(0, pool.stats().connectionsOpen());
        assertEventually(() -> server.openConnections() == 0, "server side closed");
    }

    @Test
    void closeAnswersQueuedAndInFlightRequests() {
        H2TestServer server = server(H2TestServer.builder(cert.chain(), cert.key()).neverAnswer()
                .maxConcurrentStreams(10));
        UpstreamPool pool = pool(fast().withMaxConnectionsPerKey(1));
        ResponseLog log = new ResponseLog(100);
        EventLoop loop = group.next();
        loop.execute(() -> {
            for (int i = 0; i < 30; i++) {
                log.acquire();
                pool.send(route(server), Requests.push(APNS, Requests.deviceToken(), null, "c" + i), log.sink("c" + i));
            }
        });
        assertEventually(() -> pool.stats().streamsInFlight() == 10 && pool.stats().pendingRequests() == 20,
                "10 in flight, 20 queued: " + pool.stats());
        pool.close();
        assertEquals(30, log.total());
        Map<Object, Long> outcomes = log.byOutcome();
        assertEquals(10L, outcomes.get(RelayError.UPSTREAM_RESET), outcomes.toString());
        assertEquals(20L, outcomes.get(RelayError.SHUTTING_DOWN), outcomes.toString());
        UpstreamStats stats = pool.stats();
        assertEquals(0, stats.connectionsOpen());
        assertEquals(0, stats.streamsInFlight());
    }

    static void assertEventually(java.util.function.BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            sleep(10);
        }
        assertTrue(condition.getAsBoolean(), what);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
