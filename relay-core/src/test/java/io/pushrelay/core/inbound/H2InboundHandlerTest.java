package io.pushrelay.core.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.timeout.IdleStateEvent;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.policy.Policy;
import io.pushrelay.core.policy.RouteTable;
import io.pushrelay.core.testing.CapturingUpstream;
import io.pushrelay.core.testing.Requests;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class H2InboundHandlerTest {
    private static final String PATH = "/3/device/" + Requests.TOKEN;

    private final CapturingUpstream upstream = new CapturingUpstream();
    private final InboundCounters counters = new InboundCounters();
    private EmbeddedChannel channel;
    private H2TestClient client;

    @BeforeEach
    void connect() throws Exception {
        connect(Http2Settings.defaultSettings());
    }

    private void connect(Http2Settings clientSettings) throws Exception {
        if (client != null) {
            tearDown();
        }
        Forwarder forwarder = new Forwarder(new Policy(RouteTable.defaults(false)), upstream);
        channel = new EmbeddedChannel(H2InboundHandler.create(new InboundSettings("https", 100, 16, counters), forwarder));
        client = new H2TestClient(channel);
        client.preface(clientSettings);
        List<H2TestClient.Frame> hello = client.frames();
        assertEquals("SETTINGS", hello.get(0).type(), hello.toString());
        assertTrue(hello.get(0).data().contains("MAX_CONCURRENT_STREAMS=100"), hello.get(0).data());
        assertTrue(hello.stream().anyMatch(f -> f.type().equals("WINDOW_UPDATE") && f.streamId() == 0
                && f.increment() == H2InboundHandler.CONNECTION_WINDOW_BYTES - 65535), hello.toString());
        client.settingsAck();
        client.frames();
    }

    @AfterEach
    void tearDown() {
        upstream.close();
        client.close();
        channel.finishAndReleaseAll();
    }

    private static Http2Headers post(String authority, String path) {
        return new DefaultHttp2Headers().method("POST").scheme("https").authority(authority).path(path)
                .add("apns-topic", "com.example");
    }

    @Test
    void streamShouldBecomeOneRelayRequestWithoutPseudoHeaders() throws Exception {
        client.headers(3, post("api.push.apple.com", PATH).add("te", "trailers").add("apns-id", "id-1"), false);
        assertEquals(0, upstream.calls().size(), "not before the body is complete");
        client.data(3, "{\"aps\":", false);
        client.data(3, "{}}", true);
        assertEquals(1, upstream.calls().size());
        RelayRequest request = upstream.call(0).request();
        assertEquals("POST", request.method());
        assertEquals("https", request.scheme());
        assertEquals("api.push.apple.com", request.authority());
        assertEquals(PATH, request.path());
        assertEquals("{\"aps\":{}}", upstream.call(0).body());
        assertEquals("trailers", request.headers().get("te").toString());
        assertTrue(request.headers().names().stream().noneMatch(n -> n.toString().startsWith(":")),
                request.headers().toString());
        assertEquals(1, counters.h2Requests());
    }

    @Test
    void answerShouldGoOutAsHeadersThenDataEndingTheStream() throws Exception {
        client.headers(1, post("api.push.apple.com", PATH), false);
        client.data(1, "{}", true);
        upstream.call(0).answer(400, "{\"reason\":\"BadTopic\"}", "apns-id", "id-9", "connection", "close");
        List<H2TestClient.Frame> frames = client.frames();
        assertEquals(List.of("HEADERS", "DATA"), frames.stream().map(H2TestClient.Frame::type).toList());
        Http2Headers headers = frames.get(0).headers();
        assertEquals("400", headers.status().toString());
        assertEquals("id-9", headers.get("apns-id").toString());
        assertEquals("21", headers.get("content-length").toString());
        assertNull(headers.get("connection"));
        assertFalse(frames.get(0).endStream());
        assertEquals("{\"reason\":\"BadTopic\"}", frames.get(1).data());
        assertTrue(frames.get(1).endStream());
    }

    @Test
    void answerWithoutBodyShouldEndTheStreamOnItsHeaders() throws Exception {
        client.headers(1, post("api.push.apple.com", PATH), false);
        client.data(1, "{}", true);
        upstream.call(0).answer(200, "", "apns-id", "id-1");
        List<H2TestClient.Frame> frames = client.frames();
        assertEquals(1, frames.size(), frames.toString());
        assertTrue(frames.get(0).endStream());
        assertEquals("200", frames.get(0).headers().status().toString());
    }

    @Test
    void streamsAnsweredOutOfOrderShouldEachGetTheirOwnAnswer() throws Exception {
        for (int id = 1; id <= 5; id += 2) {
            client.headers(id, post("api.push.apple.com", PATH).add("apns-id", "id-" + id), false);
            client.data(id, "{}", true);
        }
        assertEquals(3, upstream.calls().size());
        for (int i : new int[] {2, 0, 1}) {
            CapturingUpstream.Call call = upstream.call(i);
            call.answer(200, "", "apns-id", call.request().headers().get("apns-id").toString());
        }
        List<H2TestClient.Frame> frames = client.frames("HEADERS");
        assertEquals(List.of(5, 1, 3), frames.stream().map(H2TestClient.Frame::streamId).toList());
        for (H2TestClient.Frame f : frames) {
            assertEquals("id-" + f.streamId(), f.headers().get("apns-id").toString());
        }
    }

    @Test
    void unknownAuthorityShouldAnswer421WithoutTouchingTheUpstream() throws Exception {
        client.headers(1, post("evil.example.com", PATH), false);
        client.data(1, "{}", true);
        List<H2TestClient.Frame> frames = client.frames();
        assertEquals("421", frames.get(0).headers().status().toString());
        assertEquals("{\"reason\":\"RelayMisdirectedRequest\"}", frames.get(1).data());
        assertEquals(0, upstream.calls().size());
    }

    @Test
    void hostHeaderShouldStandInForAMissingAuthority() throws Exception {
        Http2Headers headers = new DefaultHttp2Headers().method("POST").scheme("https").path(PATH)
                .add("host", "api.push.apple.com").add("apns-topic", "t");
        client.headers(1, headers, false);
        client.data(1, "{}", true);
        assertEquals("api.push.apple.com", upstream.call(0).request().authority());
        assertNull(upstream.call(0).request().headers().get("host"));
    }

    @Test
    void contentLengthOverTheLimitShouldAnswer413AtOnceAndResetTheRest() throws Exception {
        client.headers(1, post("api.push.apple.com", PATH).setInt("content-length", 6000), false);
        List<H2TestClient.Frame> frames = client.frames();
        assertEquals(List.of("HEADERS", "DATA", "RST_STREAM"), frames.stream().map(H2TestClient.Frame::type).toList());
        assertEquals("413", frames.get(0).headers().status().toString());
        assertEquals("{\"reason\":\"PayloadTooLarge\"}", frames.get(1).data());
        assertEquals(Http2Error.NO_ERROR.code(), frames.get(2).errorCode());
        assertEquals(0, upstream.calls().size());
        assertEquals(1, counters.bodiesTooLarge());
        // What the downstream still had in the pipe is dropped, the connection stays usable.
        client.data(1, "x".repeat(3000), false);
        client.headers(3, post("api.push.apple.com", PATH), false);
        client.data(3, "{}", true);
        assertEquals(1, upstream.calls().size());
    }

    @Test
    void dataCrossingTheLimitShouldAnswer413AtOnce() throws Exception {
        client.headers(1, post("api.push.apple.com", PATH), false);
        client.data(1, "x".repeat(3000), false);
        assertEquals(List.of(), client.frames("HEADERS"));
        client.data(1, "x".repeat(3000), false);
        List<H2TestClient.Frame> frames = client.frames();
        assertEquals("413", frames.get(0).headers().status().toString());
        assertTrue(frames.stream().anyMatch(f -> f.type().equals("RST_STREAM")), frames.toString());
        assertEquals(0, upstream.calls().size());
    }

    @Test
    void answerBiggerThanTheWindowShouldGoOutAsTheWindowOpens() throws Exception {
        connect(Http2Settings.defaultSettings().initialWindowSize(1000));
        client.headers(1, post("api.push.apple.com", PATH), false);
        client.data(1, "{}", true);
        String body = "0123456789".repeat(500);
        upstream.call(0).answer(200, body);
        List<H2TestClient.Frame> first = client.frames("DATA");
        assertEquals(1000, first.stream().mapToInt(f -> f.data().length()).sum());
        assertFalse(first.get(first.size() - 1).endStream());
        StringBuilder received = new StringBuilder(first.stream().map(H2TestClient.Frame::data).collect(Collectors.joining()));
        while (received.length() < body.length()) {
            client.windowUpdate(1, 1000);
            List<H2TestClient.Frame> more = client.frames("DATA");
            assertFalse(more.isEmpty(), "more DATA after WINDOW_UPDATE");
            more.forEach(f -> received.append(f.data()));
        }
        assertEquals(body, received.toString());
    }

    @Test
    void resetByTheDownstreamShouldDropTheLateAnswer() throws Exception {
        client.headers(1, post("api.push.apple.com", PATH), false);
        client.data(1, "{}", true);
        client.rstStream(1, Http2Error.CANCEL.code());
        upstream.call(0).answer(200, "{\"late\":1}");
        assertEquals(List.of(), client.frames());
    }

    @Test
    void secondAnswerShouldBeIgnored() throws Exception {
        client.headers(1, post("api.push.apple.com", PATH), false);
        client.data(1, "{}", true);
        upstream.call(0).answer(200, "");
        upstream.call(0).answer(500, "again");
        assertEquals(1, client.frames("HEADERS").size());
    }

    @Test
    void idleTimeoutShouldSendGoAwayAndCloseOnlyWithoutStreamsInFlight() throws Exception {
        client.headers(1, post("api.push.apple.com", PATH), false);
        client.data(1, "{}", true);
        channel.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        assertEquals(List.of(), client.frames("GOAWAY"));
        assertTrue(channel.isOpen());
        upstream.call(0).answer(200, "");
        client.frames();
        channel.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        List<H2TestClient.Frame> goAway = client.frames("GOAWAY");
        assertEquals(1, goAway.size());
        assertEquals(1, goAway.get(0).streamId(), "last stream id");
        assertEquals(Http2Error.NO_ERROR.code(), goAway.get(0).errorCode());
        channel.runPendingTasks();
        assertFalse(channel.isOpen());
        assertEquals(1, counters.idleClosed());
    }

    @Test
    void drainShouldSendGoAwayOnlyOnceNoStreamIsInFlight() throws Exception {
        client.headers(1, post("api.push.apple.com", PATH), false);
        client.data(1, "{}", true);
        channel.pipeline().fireUserEventTriggered(DrainEvent.INSTANCE);
        assertEquals(List.of(), client.frames("GOAWAY"), "no GOAWAY while stream 1 waits");
        // A stream opened meanwhile is still served.
        client.headers(3, post("api.push.apple.com", PATH), false);
        client.data(3, "{}", true);
        upstream.call(0).answer(200, "");
        assertEquals(List.of(), client.frames("GOAWAY"), "stream 3 still in flight");
        upstream.call(1).answer(200, "");
        assertEquals(List.of(), client.frames("GOAWAY"), "not before the quiet period");
        quietPeriodPasses();
        List<H2TestClient.Frame> frames = client.frames();
        assertEquals("GOAWAY", frames.get(frames.size() - 1).type(), frames.toString());
        assertEquals(3, frames.get(frames.size() - 1).streamId());
        channel.runPendingTasks();
        assertFalse(channel.isOpen());
    }

    @Test
    void drainShouldNotCutOffASenderBetweenTwoBursts() throws Exception {
        channel.pipeline().fireUserEventTriggered(DrainEvent.INSTANCE);
        client.headers(1, post("api.push.apple.com", PATH), false);
        client.data(1, "{}", true);
        upstream.call(0).answer(200, "");
        // No stream in flight for a moment, then the next burst.
        channel.advanceTimeBy(H2InboundHandler.DRAIN_QUIET_MILLIS / 2, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        client.headers(3, post("api.push.apple.com", PATH), false);
        client.data(3, "{}", true);
        upstream.call(1).answer(200, "");
        channel.advanceTimeBy(H2InboundHandler.DRAIN_QUIET_MILLIS / 2 + 1, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.runPendingTasks();
        assertEquals(List.of(), client.frames("GOAWAY"), "stream 3 came within the quiet period");
        assertTrue(channel.isOpen());
        quietPeriodPasses();
        List<H2TestClient.Frame> frames = client.frames();
        assertEquals("GOAWAY", frames.get(frames.size() - 1).type(), frames.toString());
        assertEquals(3, frames.get(frames.size() - 1).streamId());
        channel.runPendingTasks();
        assertFalse(channel.isOpen());
    }

    private void quietPeriodPasses() {
        channel.runPendingTasks();
        channel.advanceTimeBy(H2InboundHandler.DRAIN_QUIET_MILLIS, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.runPendingTasks();
    }

    @Test
    void connectionNegotiatedDuringADrainShouldGoAwayOnceIdle() throws Exception {
        Forwarder forwarder = new Forwarder(new Policy(RouteTable.defaults(false)), upstream);
        EmbeddedChannel late = new EmbeddedChannel();
        late.attr(ConnectionAttributes.DRAINING).set(Boolean.TRUE);
        late.pipeline().addLast(H2InboundHandler.create(new InboundSettings("https", 100, 16, counters), forwarder));
        try (H2TestClient lateClient = new H2TestClient(late)) {
            late.writeInbound(io.netty.handler.codec.http2.Http2CodecUtil.connectionPrefaceBuf());
            assertEquals(List.of(), lateClient.frames("GOAWAY"), "not before the quiet period");
            late.runPendingTasks();
            late.advanceTimeBy(H2InboundHandler.DRAIN_QUIET_MILLIS, TimeUnit.MILLISECONDS);
            late.runScheduledPendingTasks();
            List<H2TestClient.Frame> frames = lateClient.frames();
            assertEquals("GOAWAY", frames.get(frames.size() - 1).type(), frames.toString());
            assertEquals(0, frames.get(frames.size() - 1).streamId());
            late.runPendingTasks();
            assertFalse(late.isOpen());
        } finally {
            late.finishAndReleaseAll();
        }
    }
}
