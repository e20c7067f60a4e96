package io.pushrelay.core.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.observe.metrics.RelayMetrics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminHandlerTest {
    private final RelayMetrics metrics = new RelayMetrics("9.9.9", false);
    private final AtomicReference<Readiness> readiness = new AtomicReference<>(Readiness.READY);
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private EmbeddedChannel server;
    private EmbeddedChannel client;

    @BeforeEach
    void setUp() {
        metrics.route("api.push.apple.com").upstreamAnswered(200, 1_500_000);
        metrics.route("api.push.apple.com").relayAnswered(RelayError.UPSTREAM_UNAVAILABLE, 2_000_000);
        server = server(readiness::get, 64);
        client = channel(new EmbeddedChannel(new HttpClientCodec(), new HttpObjectAggregator(1 << 20)));
    }

    @AfterEach
    void tearDown() {
        for (EmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void pipelineShouldHoldTheAdminHandlersInOrder() {
        List<String> names = server.pipeline().names();
        assertEquals(List.of(AdminInitializer.IDLE, AdminInitializer.HTTP_CODEC, AdminInitializer.KEEP_ALIVE,
                AdminInitializer.AGGREGATOR, AdminInitializer.HANDLER), names.subList(0, 5));
    }

    @Test
    void healthzShouldAnswer200Ok() {
        Answer a = get("/healthz");
        assertEquals(200, a.status);
        assertEquals("ok\n", a.body);
        assertEquals("text/plain; charset=utf-8", a.header("content-type"));
        assertEquals("3", a.header("content-length"));
        assertEquals("no-store", a.header("cache-control"));
        assertTrue(server.isOpen());
    }

    @Test
    void readyzShouldAnswer200WhenReadyAnd503WithTheReasonWhenNot() {
        Answer ready = get("/readyz");
        assertEquals(200, ready.status);
        assertEquals("ready\n", ready.body);

        readiness.set(Readiness.notReady("upstream api.push.apple.com unreachable\nthrough proxy"));
        Answer notReady = get("/readyz");
        assertEquals(503, notReady.status);
        assertEquals("not ready: upstream api.push.apple.com unreachable through proxy\n", notReady.body);
        assertTrue(server.isOpen(), "a 503 keeps the connection");

        readiness.set(Readiness.READY);
        assertEquals(200, get("/readyz").status);
    }

    @Test
    void readyzShouldNotShowWhatABrokenCheckSaid() {
        EmbeddedChannel broken = server(() -> {
            throw new IllegalStateException("password=hunter2");
        }, 64);
        Answer a = exchange(broken, request(HttpMethod.GET, "/readyz")).get(0);
        assertEquals(503, a.status);
        assertEquals("not ready: readiness check failed (IllegalStateException)\n", a.body);
        assertFalse(a.body.contains("hunter2"));

        Answer nullAnswer = exchange(server(() -> null, 64), request(HttpMethod.GET, "/readyz")).get(0);
        assertEquals(503, nullAnswer.status);
    }

    @Test
    void metricsShouldAnswerTheScrapeInTextFormat004() {
        Answer a = get("/metrics");
        assertEquals(200, a.status);
        assertEquals("text/plain; version=0.0.4; charset=utf-8", a.header("content-type"));
        assertEquals(metrics.scrape(), a.body);
        assertTrue(a.body.contains("push_relay_requests_total{flag=\"UF\",route=\"api.push.apple.com\",status=\"503\"} 1.0"));
        assertEquals(Integer.toString(a.body.getBytes(StandardCharsets.UTF_8).length), a.header("content-length"));
    }

    @Test
    void queryStringAndAbsoluteFormShouldReachTheirPath() {
        assertEquals("ok\n", get("/healthz?verbose=1").body);
        assertEquals("ok\n", get("http://127.0.0.1:9901/healthz").body);
        assertEquals(200, get("/metrics?name[]=x").status);
        assertEquals("/", AdminHandler.path("http://host"));
        assertNull(AdminHandler.path("*"));
        assertNull(AdminHandler.path("ftp://host/healthz"));
        assertNull(AdminHandler.path("http://[bad"));
    }

    @Test
    void unknownPathShouldAnswer404() {
        for (String path : List.of("/", "/healthz/", "/metrics/x", "/Metrics", "/admin")) {
            Answer a = get(path);
            assertEquals(404, a.status, path);
            assertEquals("not found\n", a.body);
        }
        assertEquals(400, get("*").status);
        assertTrue(server.isOpen());
    }

    @Test
    void otherMethodsShouldAnswer405WithAllowGetAndKeepTheConnection() {
        for (HttpMethod method : List.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE, HttpMethod.OPTIONS,
                HttpMethod.HEAD)) {
            FullHttpRequest request = request(method, "/metrics");
            if (method.equals(HttpMethod.POST)) {
                request.content().writeBytes("{}".getBytes(StandardCharsets.US_ASCII));
                request.headers().set(HttpHeaderNames.CONTENT_LENGTH, 2);
            }
            Answer a = exchange(server, request).get(0);
            assertEquals(405, a.status, method.name());
            assertEquals("GET", a.header("allow"));
            // A HEAD answer carries the length but no body (RFC 9110 9.3.2).
            assertEquals(method.equals(HttpMethod.HEAD) ? "" : "method not allowed\n", a.body, method.name());
        }
        assertEquals("ok\n", get("/healthz").body);
    }

    @Test
    void pipelinedRequestsShouldBeAnsweredInOrderOnOneConnection() {
        String raw = "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET /readyz HTTP/1.1\r\nHost: a\r\n\r\n";
        String out = raw(server, raw);
        int ok = out.indexOf("HTTP/1.1 200 OK\r\n");
        int notFound = out.indexOf("HTTP/1.1 404 Not Found\r\n");
        int ready = out.indexOf("ready\n");
        assertTrue(ok >= 0 && notFound > ok && ready > notFound, out);
        assertTrue(server.isOpen());
    }

    @Test
    void connectionCloseShouldBeHonoured() {
        FullHttpRequest request = request(HttpMethod.GET, "/healthz");
        request.headers().set(HttpHeaderNames.CONNECTION, "close");
        Answer a = exchange(server, request).get(0);
        assertEquals(200, a.status);
        assertEquals("close", a.header("connection"));
        assertFalse(server.isOpen());
    }

    @Test
    void http10ShouldCloseUnlessAskedToKeepAlive() {
        String out = raw(server, "GET /healthz HTTP/1.0\r\n\r\n");
        assertTrue(out.startsWith("HTTP/1.1 200 OK\r\n"), out);
        assertFalse(server.isOpen());

        EmbeddedChannel kept = server(readiness::get, 64);
        String keptOut = raw(kept, "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assertTrue(keptOut.toLowerCase().contains("connection: keep-alive\r\n"), keptOut);
        assertTrue(kept.isOpen());
    }

    @Test
    void garbageShouldAnswer400AndClose() {
        String out = raw(server, "\u0001\u0002 hello there\r\n\r\n");
        assertTrue(out.startsWith("HTTP/1.1 400 Bad Request\r\n"), out);
        assertTrue(out.toLowerCase().contains("connection: close\r\n"), out);
        assertFalse(server.isOpen());
    }

    @Test
    void tooLongHeadersShouldAnswer431AndClose() {
        String out = raw(server, "GET /metrics HTTP/1.1\r\nHost: a\r\nX-Big: " + "x".repeat(10_000) + "\r\n\r\n");
        assertTrue(out.startsWith("HTTP/1.1 431 Request Header Fields Too Large\r\n"), out);
        assertFalse(server.isOpen());
    }

    @Test
    void tooLongRequestLineShouldAnswer414AndClose() {
        String out = raw(server, "GET /metrics?" + "q".repeat(5_000) + " HTTP/1.1\r\nHost: a\r\n\r\n");
        assertTrue(out.startsWith("HTTP/1.1 414 Request-URI Too Long\r\n"), out);
        assertFalse(server.isOpen());
    }

    @Test
    void bodyOverTheLimitShouldAnswer413() {
        String out = raw(server, "POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n");
        assertTrue(out.startsWith("HTTP/1.1 413 Request Entity Too Large\r\n"), out);
    }

    @Test
    void idleConnectionShouldBeClosed() {
        EmbeddedChannel idle = channel(new EmbeddedChannel(
                new AdminInitializer(new AdminHandler(metrics, readiness::get), Duration.ofSeconds(5), 64, null)));
        assertEquals(200, exchange(idle, request(HttpMethod.GET, "/healthz")).get(0).status);
        idle.advanceTimeBy(4, TimeUnit.SECONDS);
        idle.runScheduledPendingTasks();
        assertTrue(idle.isOpen());
        idle.advanceTimeBy(2, TimeUnit.SECONDS);
        idle.runScheduledPendingTasks();
        assertFalse(idle.isOpen());
    }

    @Test
    void connectionsPastTheLimitShouldBeClosedAtOnce() {
        AdminInitializer shared = new AdminInitializer(new AdminHandler(metrics, readiness::get), Duration.ofSeconds(60), 2,
                null);
        EmbeddedChannel first = channel(new EmbeddedChannel(shared));
        EmbeddedChannel second = channel(new EmbeddedChannel(shared));
        EmbeddedChannel third = channel(new EmbeddedChannel(shared));
        assertTrue(first.isOpen());
        assertTrue(second.isOpen());
        assertFalse(third.isOpen());
        assertEquals(2, shared.open());
        first.close();
        assertEquals(1, shared.open());
        EmbeddedChannel fourth = channel(new EmbeddedChannel(shared));
        assertTrue(fourth.isOpen());
        assertEquals(200, exchange(fourth, request(HttpMethod.GET, "/healthz")).get(0).status);
    }

    private EmbeddedChannel server(Supplier<Readiness> check, int maxConnections) {
        return channel(new EmbeddedChannel(
                new AdminInitializer(new AdminHandler(metrics, check), Duration.ofSeconds(60), maxConnections, null)));
    }

    private EmbeddedChannel channel(EmbeddedChannel ch) {
        channels.add(ch);
        return ch;
    }

    private Answer get(String uri) {
        return exchange(server, request(HttpMethod.GET, uri)).get(0);
    }

    private static FullHttpRequest request(HttpMethod method, String uri) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri, Unpooled.buffer());
        request.headers().set(HttpHeaderNames.HOST, "127.0.0.1");
        return request;
    }

    /** Sends requests through a real client codec, feeds the server, decodes what it answered. */
    private List<Answer> exchange(EmbeddedChannel target, FullHttpRequest... requests) {
        for (FullHttpRequest request : requests) {
            client.writeOutbound(request);
        }
        for (ByteBuf out; (out = client.readOutbound()) != null; ) {
            target.writeInbound(out);
        }
        for (ByteBuf back; (back = target.readOutbound()) != null; ) {
            client.writeInbound(back);
        }
        List<Answer> answers = new ArrayList<>();
        for (FullHttpResponse response; (response = client.readInbound()) != null; ) {
            try {
                answers.add(new Answer(response.status().code(), response.content().toString(StandardCharsets.UTF_8),
                        response.headers().entries().stream().map(e -> e.getKey().toLowerCase() + ": " + e.getValue())
                                .toList()));
            } finally {
                response.release();
            }
        }
        assertEquals(requests.length, answers.size(), "one answer per request");
        return answers;
    }

    /** Writes raw bytes to the server and returns every byte it wrote back. */
    private static String raw(EmbeddedChannel target, String request) {
        target.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.ISO_8859_1));
        StringBuilder out = new StringBuilder();
        for (ByteBuf back; (back = target.readOutbound()) != null; ) {
            out.append(back.toString(StandardCharsets.ISO_8859_1));
            back.release();
        }
        return out.toString();
    }

    private record Answer(int status, String body, List<String> headers) {
        String header(String name) {
            String prefix = name + ": ";
            return headers.stream().filter(h -> h.startsWith(prefix)).map(h -> h.substring(prefix.length())).findFirst()
                    .orElse(null);
        }
    }
}
