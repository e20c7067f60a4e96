package io.pushrelay.core.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.policy.Policy;
import io.pushrelay.core.policy.RouteTable;
import io.pushrelay.core.testing.CapturingUpstream;
import io.pushrelay.core.testing.Requests;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class H1InboundHandlerTest {
    private static final String PATH = "/3/device/" + Requests.TOKEN;
    private static final String POST = "POST " + PATH + " HTTP/1.1\r\nHost: api.push.apple.com\r\n"
            + "apns-topic: com.example\r\n";

    private final CapturingUpstream upstream = new CapturingUpstream();
    private final InboundCounters counters = new InboundCounters();
    private final AtomicInteger reads = new AtomicInteger();
    private EmbeddedChannel channel;

    private EmbeddedChannel channel(int maxPipelined) {
        return channel(maxPipelined, null);
    }

    private EmbeddedChannel channel(int maxPipelined, TunnelTerminator tunnels) {
        Forwarder forwarder = new Forwarder(new Policy(RouteTable.defaults(false)), upstream);
        channel = new EmbeddedChannel(
                new ChannelOutboundHandlerAdapter() {
                    @Override
                    public void read(ChannelHandlerContext ctx) {
                        reads.incrementAndGet();
                        ctx.read();
                    }
                },
                new H1RequestDecoder(), new HttpResponseEncoder(),
                new H1InboundHandler(new InboundSettings("https", 100, maxPipelined, counters, tunnels), forwarder));
        channel.config().setAutoRead(false);
        return channel;
    }

    private EmbeddedChannel channel() {
        return channel(16);
    }

    @AfterEach
    void tearDown() {
        upstream.close();
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private static void send(EmbeddedChannel ch, String raw) {
        ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    }

    private static String output(EmbeddedChannel ch) {
        StringBuilder out = new StringBuilder();
        for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
            ByteBuf b = (ByteBuf) o;
            out.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return out.toString();
    }

    @Test
    void postShouldBecomeOneRelayRequestWithHostAsAuthority() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nTE: trailers\r\nKeep-Alive: timeout=5\r\n"
                + "Authorization: bearer abc\r\nContent-Length: 11\r\n\r\n{\"aps\":{}}\n");
        assertEquals(1, upstream.calls().size());
        RelayRequest request = upstream.call(0).request();
        assertEquals("POST", request.method());
        assertEquals("https", request.scheme());
        assertEquals("api.push.apple.com", request.authority());
        assertEquals(PATH, request.path());
        assertEquals("{\"aps\":{}}\n", upstream.call(0).body());
        assertEquals("com.example", request.headers().get("apns-topic").toString());
        assertEquals("bearer abc", request.headers().get("authorization").toString());
        assertEquals("trailers", request.headers().get("te").toString());
        for (String gone : new String[] {"host", "connection", "x-hop", "keep-alive"}) {
            assertNull(request.headers().get(gone), gone);
        }
        assertEquals(1, counters.h1Requests());
    }

    @Test
    void answerShouldCarryTheStandardReasonPhraseAndExactContentLength() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "Content-Length: 2\r\n\r\n{}");
        upstream.call(0).answer(200, "", "apns-id", "abc-1", "content-length", "99", "connection", "x",
                "transfer-encoding", "chunked");
        ch.runPendingTasks();
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 200 OK\r\n"), out);
        assertTrue(out.contains("apns-id: abc-1\r\n"), out);
        assertTrue(out.contains("content-length: 0\r\n"), out);
        assertFalse(out.contains("transfer-encoding"), out);
        assertFalse(out.toLowerCase().contains("connection"), out);
        assertTrue(ch.isActive());
    }

    @Test
    void errorAnswerShouldKeepItsJsonBody() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "Content-Length: 2\r\n\r\n{}");
        upstream.call(0).answer(410, "{\"reason\":\"Unregistered\"}", "content-type", "application/json");
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 410 Gone\r\n"), out);
        assertTrue(out.contains("content-length: 25\r\n"), out);
        assertTrue(out.endsWith("\r\n\r\n{\"reason\":\"Unregistered\"}"), out);
    }

    @Test
    void pipelinedRequestsShouldBeAnsweredInOrder() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "apns-id: one\r\nContent-Length: 2\r\n\r\n{}" + POST + "apns-id: two\r\nContent-Length: 2\r\n\r\n{}");
        assertEquals(2, upstream.calls().size(), "both forwarded at once");
        upstream.call(1).answer(200, "", "apns-id", "two");
        assertEquals("", output(ch), "the second answer waits for the first");
        upstream.call(0).answer(200, "", "apns-id", "one");
        String out = output(ch);
        int one = out.indexOf("apns-id: one");
        int two = out.indexOf("apns-id: two");
        assertTrue(one > 0 && two > one, out);
    }

    @Test
    void readsShouldStopWhileThePipelinedLimitWaitsForAnswers() {
        EmbeddedChannel ch = channel(1);
        send(ch, POST + "Content-Length: 2\r\n\r\n{}");
        int before = reads.get();
        ch.pipeline().fireChannelReadComplete();
        assertEquals(before, reads.get(), "no read while the one allowed request waits");
        upstream.call(0).answer(200, "");
        output(ch);
        assertTrue(reads.get() > before, "read again once the answer was written");
    }

    @Test
    void expect100ContinueShouldGetContinueBeforeTheBody() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n");
        assertEquals("HTTP/1.1 100 Continue\r\n\r\n", output(ch));
        assertEquals(0, upstream.calls().size());
        send(ch, "{}");
        assertEquals(1, upstream.calls().size());
        assertNull(upstream.call(0).request().headers().get("expect"));
        upstream.call(0).answer(200, "");
        assertTrue(output(ch).startsWith("HTTP/1.1 200 OK"));
    }

    @Test
    void expect100ContinueShouldWaitForEarlierAnswers() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "Content-Length: 2\r\n\r\n{}" + POST + "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n");
        assertEquals("", output(ch));
        upstream.call(0).answer(200, "");
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 200 OK") && out.endsWith("HTTP/1.1 100 Continue\r\n\r\n"), out);
    }

    @Test
    void chunkedBodyShouldBeAggregated() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "Transfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n5\r\n\":1}\n\r\n0\r\n\r\n");
        assertEquals(1, upstream.calls().size());
        assertEquals("{\"a\":1}\n", upstream.call(0).body());
        assertNull(upstream.call(0).request().headers().get("transfer-encoding"));
    }

    @Test
    void contentLengthOverTheLimitShouldAnswer413BeforeReadingTheBody() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "Content-Length: 6000\r\n\r\n");
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 413 Payload Too Large\r\n"), out);
        assertTrue(out.contains("connection: close"), out);
        assertTrue(out.endsWith("{\"reason\":\"PayloadTooLarge\"}"), out);
        assertEquals(0, upstream.calls().size());
        assertEquals(1, counters.bodiesTooLarge());
        send(ch, "x".repeat(6000));
        assertEquals(0, upstream.calls().size());
        ch.advanceTimeBy(3, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen(), "closed after lingering");
    }

    @Test
    void chunkedBodyGrowingOverTheLimitShouldAnswer413() {
        EmbeddedChannel ch = channel();
        String chunk = Integer.toHexString(4000) + "\r\n" + "x".repeat(4000) + "\r\n";
        send(ch, POST + "Transfer-Encoding: chunked\r\n\r\n" + chunk + chunk);
        assertTrue(output(ch).startsWith("HTTP/1.1 413 "));
        assertEquals(0, upstream.calls().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "CL and TE|Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "two lengths|Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}x",
        "two lengths one line|Content-Length: 2, 3\r\n\r\n{}x",
        "bad chunk size|Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        "TE not chunked|Transfer-Encoding: gzip\r\n\r\n{}",
        "TE chunked twice|Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
        "obs-fold|X-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\n{}",
        "obs-fold tab|X-Folded: a\r\n\tb\r\nContent-Length: 2\r\n\r\n{}",
        "bare LF|X-A: b\nContent-Length: 2\r\n\r\n{}",
        "NUL in value|X-A: b\u0000c\r\nContent-Length: 2\r\n\r\n{}",
        "space before colon|Content-Length : 2\r\n\r\n{}",
        "negative length|Content-Length: -2\r\n\r\n{}",
    })
    void smugglingShapesShouldAnswer400CloseAndForwardNothing(String shape) {
        String[] parts = shape.split("\\|", 2);
        EmbeddedChannel ch = channel();
        send(ch, POST + parts[1] + POST + "Content-Length: 2\r\n\r\n{}");
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 400 Bad Request\r\n"), parts[0] + ": " + out);
        assertTrue(out.contains("connection: close"), parts[0] + ": " + out);
        assertTrue(out.endsWith("{\"reason\":\"RelayBadRequest\"}"), parts[0] + ": " + out);
        assertEquals(1, out.split("HTTP/1.1 ").length - 1, parts[0] + ": exactly one answer: " + out);
        assertEquals(0, upstream.calls().size(), parts[0]);
        assertEquals(1, counters.badRequests(), parts[0]);
        ch.advanceTimeBy(3, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen(), parts[0] + ": closed");
    }

    @Test
    void obsFoldSplitAcrossReadsShouldStillAnswer400() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "X-Folded: a\r\n");
        send(ch, " b\r\nContent-Length: 2\r\n\r\n{}");
        assertTrue(output(ch).startsWith("HTTP/1.1 400 "));
        assertEquals(0, upstream.calls().size());
    }

    @Test
    void requestArrivingByteByByteShouldPassTheStrictChecks() {
        EmbeddedChannel ch = channel();
        String raw = "\r\n" + POST + "X-Tab:\tvalue\r\nContent-Length: 2\r\n\r\n{}" + POST
                + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
        for (char c : raw.toCharArray()) {
            send(ch, String.valueOf(c));
        }
        assertEquals(2, upstream.calls().size());
        assertEquals("{}", upstream.call(0).body());
        assertEquals("{}", upstream.call(1).body());
        assertEquals("value", upstream.call(0).request().headers().get("x-tab").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "no Host|POST " + "/3/device/abc HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
        "two Hosts|POST /3/device/abc HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 2\r\n\r\n{}",
        "request line too long|POST /LONGPATH HTTP/1.1\r\nHost: api.push.apple.com\r\n\r\n",
        "headers too long|POST /3/device/abc HTTP/1.1\r\nHost: api.push.apple.com\r\nLONGHEADERS\r\n\r\n",
        "relative target|POST 3/device/abc HTTP/1.1\r\nHost: api.push.apple.com\r\n\r\n",
        "HTTP/2.0 line|POST /3/device/abc HTTP/2.0\r\nHost: api.push.apple.com\r\n\r\n",
    })
    void malformedHeadsShouldAnswer400(String shape) {
        String[] parts = shape.split("\\|", 2);
        String raw = parts[1].replace("LONGPATH", "a".repeat(9000))
                .replace("LONGHEADERS", ("X-Long: " + "b".repeat(1000) + "\r\n").repeat(17));
        EmbeddedChannel ch = channel();
        send(ch, raw);
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 400 Bad Request\r\n"), parts[0] + ": " + out);
        assertEquals(0, upstream.calls().size(), parts[0]);
    }

    @Test
    void absoluteFormTargetShouldGiveTheAuthority() {
        EmbeddedChannel ch = channel();
        send(ch, "POST https://api.push.apple.com:443" + PATH + " HTTP/1.1\r\nHost: api.push.apple.com\r\n"
                + "apns-topic: t\r\nContent-Length: 2\r\n\r\n{}");
        assertEquals("api.push.apple.com:443", upstream.call(0).request().authority());
        assertEquals(PATH, upstream.call(0).request().path());
    }

    @Test
    void unknownHostShouldAnswer421AndKeepTheConnection() {
        EmbeddedChannel ch = channel();
        send(ch, "POST " + PATH + " HTTP/1.1\r\nHost: evil.example.com\r\nContent-Length: 2\r\n\r\n{}");
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 421 Misdirected Request\r\n"), out);
        assertFalse(out.contains("connection: close"), out);
        assertEquals(0, upstream.calls().size());
        assertTrue(ch.isOpen());
    }

    @Test
    void http10WithKeepAliveShouldStayOpenAndSayKeepAlive() {
        EmbeddedChannel ch = channel();
        send(ch, "POST " + PATH + " HTTP/1.0\r\nHost: api.push.apple.com\r\nConnection: keep-alive\r\n"
                + "Content-Length: 2\r\n\r\n{}");
        upstream.call(0).answer(200, "");
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 200 OK"), out);
        assertTrue(out.contains("connection: keep-alive"), out);
        assertTrue(ch.isOpen());
    }

    @Test
    void connectionCloseRequestShouldCloseAfterItsAnswer() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "Connection: close\r\nContent-Length: 2\r\n\r\n{}" + POST + "Content-Length: 2\r\n\r\n{}");
        assertEquals(1, upstream.calls().size(), "nothing after the closing request is served");
        upstream.call(0).answer(200, "");
        String out = output(ch);
        assertTrue(out.contains("connection: close"), out);
        ch.advanceTimeBy(1, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
    }

    @Test
    void headRequestShouldGetNoBody() {
        EmbeddedChannel ch = channel();
        send(ch, "HEAD " + PATH + " HTTP/1.1\r\nHost: api.push.apple.com\r\n\r\n");
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 405 Method Not Allowed\r\n"), out);
        assertTrue(out.endsWith("\r\n\r\n"), out);
        assertTrue(out.contains("content-length: 29"), out);
    }

    @Test
    void secondAnswerShouldBeIgnoredAndReleased() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "Content-Length: 2\r\n\r\n{}");
        long before = ExchangeSink.duplicateAnswers();
        upstream.call(0).answer(200, "");
        upstream.call(0).answer(500, "second");
        String out = output(ch);
        assertEquals(1, out.split("HTTP/1.1 ").length - 1, out);
        assertEquals(before + 1, ExchangeSink.duplicateAnswers());
    }

    @Test
    void answerAfterTheDownstreamWentAwayShouldBeReleased() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "Content-Length: 2\r\n\r\n{}");
        ch.close();
        upstream.call(0).answer(200, "{\"late\":true}");
        assertEquals("", output(ch));
    }

    @Test
    void drainShouldCloseAnIdleConnectionAfterTheGrace() {
        EmbeddedChannel ch = channel();
        ch.freezeTime();
        send(ch, POST + "Content-Length: 2\r\n\r\n{}");
        upstream.call(0).answer(200, "");
        output(ch);
        ch.pipeline().fireUserEventTriggered(DrainEvent.INSTANCE);
        assertTrue(ch.isOpen(), "a keep-alive downstream may be sending its next request right now");
        ch.advanceTimeBy(H1InboundHandler.DRAIN_IDLE_GRACE_MILLIS - 1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen());
        ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
    }

    @Test
    void drainShouldAnswerTheNextRequestOfAnIdleConnectionWithConnectionCloseThenClose() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "Content-Length: 2\r\n\r\n{}");
        upstream.call(0).answer(200, "");
        output(ch);
        ch.pipeline().fireUserEventTriggered(DrainEvent.INSTANCE);
        // The request that crossed the drain on the wire: served, not reset.
        send(ch, POST + "Content-Length: 2\r\n\r\n{}");
        upstream.call(1).answer(200, "");
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 200 OK"), out);
        assertTrue(out.contains("connection: close"), out);
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
        // The grace timer finds it closed already and does nothing.
        ch.advanceTimeBy(H1InboundHandler.DRAIN_IDLE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    @Test
    void drainShouldAnswerInFlightRequestsWithConnectionCloseThenClose() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "Content-Length: 2\r\n\r\n{}");
        ch.pipeline().fireUserEventTriggered(DrainEvent.INSTANCE);
        assertTrue(ch.isOpen());
        upstream.call(0).answer(200, "");
        String out = output(ch);
        assertTrue(out.contains("connection: close"), out);
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
    }

    @Test
    void idleTimeoutShouldCloseOnlyWithNothingInFlight() {
        EmbeddedChannel ch = channel();
        send(ch, POST + "Content-Length: 2\r\n\r\n{}");
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        assertTrue(ch.isOpen(), "a request waits for its answer");
        upstream.call(0).answer(200, "");
        output(ch);
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        assertFalse(ch.isOpen());
        assertEquals(1, counters.idleClosed());
    }

    // ---- CONNECT ----

    /** A tunnel that replaces the HTTP/1.1 handlers with one that keeps what it reads. */
    private static final class RecordingTunnel implements TunnelTerminator {
        final StringBuilder read = new StringBuilder();
        String target;

        @Override
        public void open(ChannelHandlerContext h1, String connectTarget) {
            target = connectTarget;
            h1.pipeline().addAfter(h1.pipeline().context(H1RequestDecoder.class).name(), "inner",
                    new io.netty.channel.ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf bytes = (ByteBuf) msg;
                            read.append(bytes.toString(StandardCharsets.ISO_8859_1));
                            bytes.release();
                        }
                    });
            h1.pipeline().remove(H1InboundHandler.class);
            h1.pipeline().remove(HttpResponseEncoder.class);
            h1.pipeline().remove(H1RequestDecoder.class);
        }
    }

    @Test
    void allowedConnectShouldAnswer200WithoutLengthThenHandTheRestToTheTunnel() {
        RecordingTunnel tunnel = new RecordingTunnel();
        EmbeddedChannel ch = channel(16, tunnel);
        // A client may send its ClientHello before our answer: it must reach the tunnel untouched.
        send(ch, "CONNECT api.push.apple.com:443 HTTP/1.1\r\nHost: api.push.apple.com:443\r\n\r\n\u0016\u0003\u0001hello");
        assertEquals("HTTP/1.1 200 OK\r\n\r\n", output(ch));
        assertEquals("api.push.apple.com:443", tunnel.target);
        assertEquals("\u0016\u0003\u0001hello", tunnel.read.toString());
        send(ch, "more");
        assertEquals("\u0016\u0003\u0001hellomore", tunnel.read.toString());
        assertTrue(ch.isOpen());
        assertEquals(0, upstream.calls().size());
        assertEquals(0, counters.badRequests());
    }

    @Test
    void connectAfterPipelinedRequestsShouldWaitForTheirAnswers() {
        RecordingTunnel tunnel = new RecordingTunnel();
        EmbeddedChannel ch = channel(16, tunnel);
        send(ch, POST + "Content-Length: 2\r\n\r\n{}"
                + "CONNECT api.push.apple.com:443 HTTP/1.1\r\nHost: api.push.apple.com:443\r\n\r\n");
        assertEquals("", output(ch));
        assertNull(tunnel.target, "not before the earlier answer is out");
        upstream.call(0).answer(200, "", "apns-id", "first");
        ch.runPendingTasks();
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 200 OK\r\n"), out);
        assertTrue(out.endsWith("content-length: 0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n"), out);
        assertEquals("api.push.apple.com:443", tunnel.target);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "CONNECT evil.example.com:443 HTTP/1.1\r\nHost: evil.example.com:443\r\n\r\n|403 Forbidden|RelayDestinationNotAllowed",
        "CONNECT api.push.apple.com:22 HTTP/1.1\r\nHost: api.push.apple.com:22\r\n\r\n|403 Forbidden|RelayPortNotAllowed",
        "CONNECT api.push.apple.com HTTP/1.1\r\nHost: api.push.apple.com\r\n\r\n|400 Bad Request|RelayBadRequest",
        "CONNECT api.push.apple.com:443 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}|400 Bad Request|RelayBadRequest",
        "CONNECT user@api.push.apple.com:443 HTTP/1.1\r\nHost: api.push.apple.com\r\n\r\n|400 Bad Request|RelayBadRequest",
    })
    void refusedConnectShouldBeAnsweredAndClosedWithoutATunnel(String shape) {
        String[] parts = shape.split("\\|");
        RecordingTunnel tunnel = new RecordingTunnel();
        EmbeddedChannel ch = channel(16, tunnel);
        send(ch, parts[0] + "\u0016\u0003\u0001hello");
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 " + parts[1] + "\r\n"), out);
        assertTrue(out.contains("connection: close\r\n"), out);
        assertTrue(out.endsWith("{\"reason\":\"" + parts[2] + "\"}"), out);
        assertNull(tunnel.target);
        assertEquals(0, upstream.calls().size());
    }

    @Test
    void connectWhileTheListenerDrainsShouldAnswer503() {
        RecordingTunnel tunnel = new RecordingTunnel();
        channel = new EmbeddedChannel();
        channel.attr(ConnectionAttributes.DRAINING).set(Boolean.TRUE);
        channel.pipeline().addLast(new H1RequestDecoder(), new HttpResponseEncoder(), new H1InboundHandler(
                new InboundSettings("https", 100, 16, counters, tunnel),
                new Forwarder(new Policy(RouteTable.defaults(false)), upstream)));
        send(channel, "CONNECT api.push.apple.com:443 HTTP/1.1\r\nHost: api.push.apple.com:443\r\n\r\n");
        String out = output(channel);
        assertTrue(out.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), out);
        assertTrue(out.endsWith("{\"reason\":\"RelayShuttingDown\"}"), out);
        assertNull(tunnel.target);
    }

    @Test
    void connectWithoutATunnelTerminatorShouldAnswer405() {
        EmbeddedChannel ch = channel();
        send(ch, "CONNECT api.push.apple.com:443 HTTP/1.1\r\nHost: api.push.apple.com:443\r\n\r\n");
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 405 Method Not Allowed\r\n"), out);
        assertTrue(out.endsWith("{\"reason\":\"MethodNotAllowed\"}"), out);
    }

    // ---- absolute-form and reason phrases ----

    @ParameterizedTest
    @ValueSource(strings = {
        "POST https://api.push.apple.com/3/device/abcd HTTP/1.1\r\nHost: fcm.googleapis.com\r\n",
        "POST https://api.push.apple.com:8443/3/device/abcd HTTP/1.1\r\nHost: api.push.apple.com\r\n",
        "POST http://api.push.apple.com/3/device/abcd HTTP/1.1\r\nHost: api.push.apple.com:443\r\n",
        "POST https://user:pw@api.push.apple.com/3/device/abcd HTTP/1.1\r\nHost: api.push.apple.com\r\n",
    })
    void absoluteFormThatDisagreesWithHostOrCarriesUserinfoShouldAnswer400(String head) {
        EmbeddedChannel ch = channel();
        send(ch, head + "Content-Length: 2\r\n\r\n{}");
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 400 Bad Request\r\n"), out);
        assertEquals(0, upstream.calls().size());
    }

    @Test
    void absoluteFormWithAnAgreeingHostAndDefaultPortShouldPass() {
        EmbeddedChannel ch = channel();
        send(ch, "POST http://api.push.apple.com:80" + PATH + " HTTP/1.1\r\nHost: API.push.apple.com\r\n"
                + "apns-topic: t\r\nContent-Length: 2\r\n\r\n{}");
        assertEquals(1, upstream.calls().size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"413|Payload Too Large", "414|URI Too Long", "429|Too Many Requests",
        "503|Service Unavailable", "599|"})
    void answersShouldCarryTheRegisteredReasonPhraseOrNone(String codeAndPhrase) {
        String[] parts = codeAndPhrase.split("\\|", -1);
        EmbeddedChannel ch = channel();
        send(ch, POST + "Content-Length: 2\r\n\r\n{}");
        upstream.call(0).answer(Integer.parseInt(parts[0]), "{}");
        ch.runPendingTasks();
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 " + parts[0] + " " + parts[1] + "\r\n"), out);
    }

    // ---- Forwarded: host= (a chained relay-pre) ----

    @Test
    void forwardedHostShouldBeTheAuthorityOfAnOriginFormRequestAndBeConsumed() {
        EmbeddedChannel ch = channel();
        send(ch, "POST " + PATH + " HTTP/1.1\r\nHost: relay-post.example:8443\r\n"
                + "Forwarded: host=\"api.push.apple.com\";proto=https\r\napns-topic: t\r\n"
                + "Content-Length: 2\r\n\r\n{}");
        assertEquals(1, upstream.calls().size());
        RelayRequest request = upstream.call(0).request();
        assertEquals("api.push.apple.com", request.authority());
        assertNull(request.headers().get("forwarded"));
    }

    @Test
    void forwardedHostShouldComeFromTheFirstElementThatHasOne() {
        EmbeddedChannel ch = channel();
        send(ch, "POST " + PATH + " HTTP/1.1\r\nHost: relay\r\nForwarded: for=192.0.2.1;proto=https\r\n"
                + "Forwarded: for=\"[2001:db8::1]:4711\", host=api.push.apple.com:443;proto=https, host=evil.example\r\n"
                + "apns-topic: t\r\nContent-Length: 2\r\n\r\n{}");
        assertEquals("api.push.apple.com:443", upstream.call(0).request().authority());
    }

    @ParameterizedTest
    @ValueSource(strings = {"host=\"api.push.apple.com", "host=api.push.apple.com/evil", "host=\"a b\"",
        "host=", "=x", "host=user@api.push.apple.com", "host=api.push.apple.com:99999", "host=x;;junk"})
    void malformedForwardedShouldAnswer400(String forwarded) {
        EmbeddedChannel ch = channel();
        send(ch, "POST " + PATH + " HTTP/1.1\r\nHost: relay\r\nForwarded: " + forwarded + "\r\n"
                + "Content-Length: 2\r\n\r\n{}");
        String out = output(ch);
        assertTrue(out.startsWith("HTTP/1.1 400 Bad Request\r\n"), forwarded + ": " + out);
        assertEquals(0, upstream.calls().size());
    }

    @Test
    void forwardedWithoutHostAndAbsoluteFormShouldKeepTheirAuthority() {
        EmbeddedChannel ch = channel();
        send(ch, "POST " + PATH + " HTTP/1.1\r\nHost: api.push.apple.com\r\nForwarded: for=192.0.2.1\r\n"
                + "apns-topic: t\r\nContent-Length: 2\r\n\r\n{}"
                + "POST https://api.push.apple.com" + PATH + " HTTP/1.1\r\nHost: api.push.apple.com\r\n"
                + "Forwarded: host=fcm.googleapis.com\r\napns-topic: t\r\nContent-Length: 2\r\n\r\n{}");
        assertEquals("api.push.apple.com", upstream.call(0).request().authority());
        assertEquals("for=192.0.2.1", upstream.call(0).request().headers().get("forwarded").toString());
        assertEquals("api.push.apple.com", upstream.call(1).request().authority());
    }
}
