package io.pushrelay.core.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.RelayResponse;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AccessLogTest {
    private static final String TOKEN = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

    @Test
    void timeShouldReadAsIsoInstantWhateverTheSecondCacheHolds() {
        SplittableRandom random = new SplittableRandom(7);
        long now = System.currentTimeMillis();
        long[] fixed = {0, 1, 999, 1000, 1001, -1, -1000, -1001, now, now - now % 1000, now + 1, now - 1,
                253402300799999L, -62135596800000L};
        List<Long> all = new ArrayList<>();
        for (long m : fixed) {
            all.add(m);
        }
        for (int i = 0; i < 2000; i++) {
            // Same second twice in a row, neighbours and far jumps: the cache is hit, replaced, and reused.
            long m = i % 3 == 0 ? now + random.nextLong(-5000, 5000) : random.nextLong(-62135596800000L, 253402300799999L);
            all.add(m);
            all.add(m);
        }
        for (long m : all) {
            assertEquals(DateTimeFormatter.ISO_INSTANT.format(Instant.ofEpochMilli(m)),
                    AccessLog.appendTime(new StringBuilder(), m).toString(), "millis " + m);
        }
    }

    @Test
    void deviceTokenShouldShowOnlyItsFirstSixCharacters() {
        assertEquals("/3/device/abcdef…", AccessLog.maskPath("/3/device/" + TOKEN));
    }

    @Test
    void upperCaseTokenShouldBeMaskedToo() {
        assertEquals("/3/device/ABCDEF…", AccessLog.maskPath("/3/device/" + TOKEN.toUpperCase()));
    }

    @Test
    void shortTokenShouldStillEndInEllipsis() {
        assertEquals("/3/device/abc…", AccessLog.maskPath("/3/device/abc"));
    }

    @Test
    void queryAfterTokenShouldNotRevealTheToken() {
        String masked = AccessLog.maskPath("/3/device/" + TOKEN + "?x=1");
        assertTrue(masked.startsWith("/3/device/abcdef…"), masked);
        assertFalse(masked.contains(TOKEN.substring(6, 20)), masked);
    }

    @Test
    void nonHexTokenShouldBeMaskedAsWell() {
        assertEquals("/3/device/<scrip…/script>", AccessLog.maskPath("/3/device/<script>alert(1)</script>"));
    }

    @Test
    void emptyTokenShouldLeaveThePrefix() {
        assertEquals("/3/device/", AccessLog.maskPath("/3/device/"));
    }

    @Test
    void longHexRunElsewhereShouldBeMasked() {
        assertEquals("//3/device/abcdef…", AccessLog.maskPath("//3/device/" + TOKEN));
        assertEquals("/x?token=abcdef…", AccessLog.maskPath("/x?token=" + TOKEN));
    }

    @Test
    void pathsWithoutTokensShouldStayAsTheyAre() {
        assertEquals("/v1/projects/my-project/messages:send", AccessLog.maskPath("/v1/projects/my-project/messages:send"));
        assertEquals("/token", AccessLog.maskPath("/token"));
        assertEquals("-", AccessLog.maskPath(""));
        assertEquals("-", AccessLog.maskPath(null));
    }

    @Test
    void controlCharactersShouldNotBreakTheLine() {
        assertEquals("/a?b?c", AccessLog.maskPath("/a\rb\u0000c"));
        assertEquals("x?y", AccessLog.safe("x\ny"));
    }

    @Test
    void veryLongPathShouldBeCut() {
        String masked = AccessLog.maskPath("/" + "ab/".repeat(200));
        assertTrue(masked.length() <= 258, "length " + masked.length());
        assertTrue(masked.endsWith("…"));
    }

    @Test
    void lineShouldCarryEveryFieldAndNeverTheBodyOrAuthorization() {
        DefaultHttp2Headers requestHeaders = new DefaultHttp2Headers();
        requestHeaders.set("authorization", "bearer secret-jwt");
        requestHeaders.set("apns-topic", "com.example");
        RelayRequest request = new RelayRequest("POST", "https", "api.push.apple.com", "/3/device/" + TOKEN,
                requestHeaders, Unpooled.copiedBuffer("{\"aps\":{\"alert\":\"secret text\"}}".getBytes()),
                new InetSocketAddress("127.0.0.1", 51234), "a1b2c3d4", System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(7));
        RelayResponse response = new RelayResponse(200, new DefaultHttp2Headers().set("apns-id", "5e1c-id"),
                Unpooled.EMPTY_BUFFER, null, "up-3");
        String line = AccessLog.line(request, response, System.nanoTime());
        request.release();
        String[] fields = line.split(" ");
        assertEquals(10, fields.length, line);
        assertTrue(fields[0].matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z"), fields[0]);
        assertEquals("127.0.0.1:51234", fields[1]);
        assertEquals("api.push.apple.com", fields[2]);
        assertEquals("POST", fields[3]);
        assertEquals("/3/device/abcdef…", fields[4]);
        assertEquals("200", fields[5]);
        assertEquals("5e1c-id", fields[6]);
        assertEquals("up-3", fields[7]);
        assertEquals("-", fields[8]);
        assertTrue(fields[9].matches("\\d+ms") && Integer.parseInt(fields[9].replace("ms", "")) >= 7, fields[9]);
        assertFalse(line.contains("secret"), line);
    }

    @Test
    void relayMadeAnswerShouldShowItsFlagAndTheRequestsApnsId() {
        RelayRequest request = new RelayRequest("POST", "https", "nowhere.example", "/3/device/" + TOKEN,
                new DefaultHttp2Headers().set("apns-id", "req-id"), Unpooled.EMPTY_BUFFER,
                new InetSocketAddress("::1", 443), "x", System.nanoTime());
        RelayResponse response = RelayResponse.of(RelayError.NO_ROUTE, io.netty.buffer.UnpooledByteBufAllocator.DEFAULT);
        String line = AccessLog.line(request, response, System.nanoTime());
        response.release();
        String[] fields = line.split(" ");
        assertEquals("[0:0:0:0:0:0:0:1]:443", fields[1]);
        assertEquals("421", fields[5]);
        assertEquals("req-id", fields[6]);
        assertEquals("-", fields[7]);
        assertEquals("NR", fields[8]);
    }
}
