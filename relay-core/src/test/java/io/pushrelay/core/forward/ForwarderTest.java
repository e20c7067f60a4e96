package io.pushrelay.core.forward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.pushrelay.core.observe.AccessLog;
import io.pushrelay.core.policy.Policy;
import io.pushrelay.core.policy.RouteTable;
import io.pushrelay.core.testing.ApnsLikeUpstream;
import io.pushrelay.core.testing.LogCapture;
import io.pushrelay.core.testing.Requests;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ForwarderTest {
    private static final Policy POLICY = new Policy(RouteTable.defaults(false));

    /** Collects the one answer; fails on a second. */
    private static final class OneAnswer implements ResponseSink {
        final CompletableFuture<RelayResponse> answer = new CompletableFuture<>();

        @Override
        public void respond(RelayResponse response) {
            if (!answer.complete(response)) {
                response.release();
                throw new AssertionError("answered twice");
            }
        }

        RelayResponse get() throws Exception {
            return answer.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void allowedRequestShouldReachTheUpstreamAndBeAccessLogged() throws Exception {
        try (ApnsLikeUpstream upstream = new ApnsLikeUpstream();
             LogCapture access = LogCapture.of(AccessLog.LOGGER_NAME)) {
            Forwarder forwarder = new Forwarder(POLICY, upstream);
            OneAnswer sink = new OneAnswer();
            RelayRequest request = Requests.apns("{\"aps\":{}}");
            forwarder.forward(request, Downstream.of(request), sink);
            RelayResponse response = sink.get();
            response.release();
            assertEquals(200, response.status());
            assertNull(response.error());
            assertEquals(1, upstream.calls());
            assertEquals("api.push.apple.com", upstream.seen().get(0).route().authority());
            List<String> lines = access.messages();
            assertEquals(1, lines.size());
            assertTrue(lines.get(0).contains(" 200 "), lines.get(0));
            assertTrue(lines.get(0).contains("/3/device/abcdef… "), lines.get(0));
        }
    }

    @Test
    void unknownAuthorityShouldAnswer421WithoutTouchingTheUpstream() throws Exception {
        try (ApnsLikeUpstream upstream = new ApnsLikeUpstream();
             LogCapture errors = LogCapture.of(Forwarder.class);
             LogCapture access = LogCapture.of(AccessLog.LOGGER_NAME)) {
            Forwarder forwarder = new Forwarder(POLICY, upstream);
            OneAnswer sink = new OneAnswer();
            RelayRequest request = Requests.of("POST", "evil.example.com", "/3/device/" + Requests.TOKEN, "{}");
            forwarder.forward(request, Downstream.of(request), sink);
            RelayResponse response = sink.get();
            String body = response.body().toString(StandardCharsets.UTF_8);
            response.release();
            assertEquals(421, response.status());
            assertSame(RelayError.NO_ROUTE, response.error());
            assertEquals("{\"reason\":\"RelayMisdirectedRequest\"}", body);
            assertEquals(0, upstream.calls());
            assertEquals(0, request.body().refCnt(), "the refused request's body is released");
            List<String> lines = errors.messages(Level.INFO);
            assertEquals(1, lines.size());
            assertTrue(lines.get(0).contains("127.0.0.1:40000") && lines.get(0).contains("evil.example.com"),
                    lines.get(0));
            assertTrue(access.messages().get(0).contains(" NR "), access.messages().get(0));
        }
    }

    @Test
    void overLimitBodyShouldAnswer413WithoutTouchingTheUpstream() throws Exception {
        try (ApnsLikeUpstream upstream = new ApnsLikeUpstream()) {
            OneAnswer sink = new OneAnswer();
            RelayRequest request = Requests.apns("x".repeat(6000));
            new Forwarder(POLICY, upstream).forward(request, Downstream.of(request), sink);
            RelayResponse response = sink.get();
            response.release();
            assertEquals(413, response.status());
            assertEquals(0, upstream.calls());
        }
    }

    @Test
    void upstreamThatThrowsShouldBeAnswered500AndLoggedAsRelayFault() throws Exception {
        try (LogCapture errors = LogCapture.of(Forwarder.class)) {
            Forwarder forwarder = new Forwarder(POLICY, (route, request, sink) -> {
                request.release();
                throw new IllegalStateException("boom");
            });
            OneAnswer sink = new OneAnswer();
            RelayRequest request = Requests.apns("{}");
            forwarder.forward(request, Downstream.of(request), sink);
            RelayResponse response = sink.get();
            response.release();
            assertEquals(500, response.status());
            assertSame(RelayError.INTERNAL, response.error());
            assertNotNull(errors.messages(Level.WARN).stream().filter(m -> m.contains("500 RelayInternalError"))
                    .findFirst().orElse(null), errors.messages().toString());
        }
    }

    @Test
    void relayFaultFromTheUpstreamShouldLogOneWarnNamingBothEnds() throws Exception {
        try (LogCapture errors = LogCapture.of(Forwarder.class)) {
            Forwarder forwarder = new Forwarder(POLICY, (route, request, sink) -> {
                request.release();
                RelayResponse r = RelayResponse.of(RelayError.UPSTREAM_UNAVAILABLE, request.body().alloc());
                sink.respond(new RelayResponse(r.status(), r.headers(), r.body(), r.error(), "up-7"));
            });
            OneAnswer sink = new OneAnswer();
            RelayRequest request = Requests.apns("{}");
            forwarder.forward(request, Downstream.of(request), sink);
            sink.get().release();
            List<String> warns = errors.messages(Level.WARN);
            assertEquals(1, warns.size(), warns.toString());
            assertEquals("answered 503 RelayUpstreamUnavailable (UF): 127.0.0.1:40000 [c0ffee00] => "
                    + "api.push.apple.com => api.push.apple.com:443 via up-7", warns.get(0));
        }
    }

    @Test
    void aBurstOfFailuresShouldLogAFewLinesThatAccountForEveryOne() throws Exception {
        int burst = 2_000;
        try (LogCapture errors = LogCapture.of(Forwarder.class);
             LogCapture access = LogCapture.of(AccessLog.LOGGER_NAME)) {
            Forwarder forwarder = new Forwarder(POLICY, (route, request, sink) -> {
                request.release();
                sink.respond(RelayResponse.of(RelayError.UPSTREAM_UNAVAILABLE, request.body().alloc()));
            });
            for (int i = 0; i < burst; i++) {
                OneAnswer sink = new OneAnswer();
                RelayRequest request = Requests.apns("{}");
                forwarder.forward(request, Downstream.of(request), sink);
                RelayResponse response = sink.get();
                response.release();
                assertEquals(503, response.status());
            }
            Thread.sleep(1_100);
            OneAnswer sink = new OneAnswer();
            RelayRequest last = Requests.apns("{}");
            forwarder.forward(last, Downstream.of(last), sink);
            sink.get().release();

            assertEquals(burst + 1, access.messages().size(), "the access log has every answer");
            List<String> warns = errors.messages(Level.WARN);
            assertTrue(warns.size() >= 2 && warns.size() <= 10, warns.size() + " lines: " + warns);
            long accounted = 0;
            java.util.regex.Pattern more = java.util.regex.Pattern.compile(" \\((\\d+) more like it since the last line\\)$");
            for (String w : warns) {
                assertTrue(w.startsWith("answered 503 RelayUpstreamUnavailable (UF): "), w);
                java.util.regex.Matcher m = more.matcher(w);
                accounted += 1 + (m.find() ? Long.parseLong(m.group(1)) : 0);
            }
            assertEquals(burst + 1, accounted, "each line counts itself and the ones it held back: " + warns);
            assertTrue(warns.get(warns.size() - 1).endsWith("more like it since the last line)"), warns.toString());
        }
    }

    @Test
    void refuseShouldNeverUseADeviceRemovalReason() {
        for (RelayError error : RelayError.values()) {
            RelayResponse r = RelayResponse.of(error, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
            String body = r.body().toString(StandardCharsets.UTF_8);
            r.release();
            for (String removal : List.of("BadDeviceToken", "Unregistered", "MissingDeviceToken", "DeviceTokenNotForTopic")) {
                assertTrue(!body.contains(removal), error + ": " + body);
            }
        }
    }
}
