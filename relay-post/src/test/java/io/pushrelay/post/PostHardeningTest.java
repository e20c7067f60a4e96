package io.pushrelay.post;

import static io.pushrelay.post.PostTestbed.APNS;
import static io.pushrelay.post.PostTestbed.TOKEN;
import static io.pushrelay.post.PostTestbed.TOPIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HTTP/1.1 request smuggling and malformed requests through a real relay-post (TLS, the real
 * pool, Pushy's mock behind it): each shape, followed by a well-formed request on the same
 * connection, is answered exactly one {@code 400 Bad Request} with {@code RelayBadRequest}, the
 * connection closes, and neither the bad request nor the good one behind it reaches the upstream.
 * The same inside a terminated CONNECT tunnel.
 */
class PostHardeningTest {
    private static final String HEAD = "POST /3/device/" + TOKEN + " HTTP/1.1\r\nHost: " + APNS + "\r\n"
            + "apns-topic: " + TOPIC + "\r\n";

    @TempDir
    static Path dir;
    static PostTestbed bed;
    static PostRelay relay;
    static String good;

    @BeforeAll
    static void setUp() throws Exception {
        bed = new PostTestbed(dir);
        relay = PostRelay.start(bed.config());
        good = RawHttp.post(APNS, TOKEN, "11111111-2222-3333-4444-000000000041", bed.authorization, "");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (relay != null) {
            relay.close();
        }
        bed.close();
    }

    private static long poolRequests() {
        return relay.pools().get(0).stats().requests();
    }

    private static void assertOne400AndClosed(RawHttp.Conn c, String request) throws Exception {
        int saw = bed.mockSaw();
        long requests = poolRequests();
        c.send(request + good);
        String out = c.readToEnd();
        assertTrue(out.startsWith("HTTP/1.1 400 Bad Request\r\n"), out);
        assertEquals(1, out.split("HTTP/1.1 ").length - 1, "one answer only: " + out);
        assertTrue(out.contains("connection: close\r\n"), out);
        assertTrue(out.endsWith("{\"reason\":\"RelayBadRequest\"}"), out);
        assertEquals(saw, bed.mockSaw(), "the mock saw nothing");
        assertEquals(requests, poolRequests(), "nothing went upstream");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n0\r\n\r\n",
        "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
        "Content-Length: 2, 40\r\n\r\n{}",
        "Transfer-Encoding: chunked\r\n\r\n-1\r\n{}\r\n0\r\n\r\n",
        "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        "Transfer-Encoding: chunked\r\n\r\n2;\u0000\r\n{}\r\n0\r\n\r\n",
        "Transfer-Encoding: xchunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
        "X-Fold: a\r\n b\r\nContent-Length: 2\r\n\r\n{}",
        "X-Bare: a\nContent-Length: 2\r\n\r\n{}",
        "X-Nul: a\u0000b\r\nContent-Length: 2\r\n\r\n{}",
    })
    void smugglingShapeShouldAnswer400CloseAndReachNothing(String shape) throws Exception {
        try (RawHttp.Conn c = RawHttp.tls(relay.address().getPort(), bed.pki.caPem(), null, APNS, "http/1.1")) {
            assertOne400AndClosed(c, HEAD + shape);
        }
    }

    @Test
    void oversizedRequestLineAndHeaderSectionShouldAnswer400() throws Exception {
        for (String request : List.of(
                "POST /3/device/" + "a".repeat(9000) + " HTTP/1.1\r\nHost: " + APNS + "\r\n\r\n",
                HEAD + ("X-Big: " + "b".repeat(2000) + "\r\n").repeat(9) + "Content-Length: 2\r\n\r\n{}")) {
            try (RawHttp.Conn c = RawHttp.tls(relay.address().getPort(), bed.pki.caPem(), null, APNS, "http/1.1")) {
                assertOne400AndClosed(c, request);
            }
        }
    }

    @Test
    void targetsThatDisagreeOrCarryUserinfoShouldAnswer400() throws Exception {
        for (String request : List.of(
                // RFC 9112 3.2.2: Host must be the absolute-form target's authority.
                "POST https://" + APNS + "/3/device/" + TOKEN + " HTTP/1.1\r\nHost: fcm.googleapis.com\r\n"
                        + "Content-Length: 2\r\n\r\n{}",
                "POST https://" + APNS + ":8443/3/device/" + TOKEN + " HTTP/1.1\r\nHost: " + APNS + "\r\n"
                        + "Content-Length: 2\r\n\r\n{}",
                "POST https://user@" + APNS + "/3/device/" + TOKEN + " HTTP/1.1\r\nHost: " + APNS + "\r\n"
                        + "Content-Length: 2\r\n\r\n{}",
                "POST /3/device/" + TOKEN + " HTTP/1.1\r\nHost: " + APNS + "\r\nHost: " + APNS + "\r\n"
                        + "Content-Length: 2\r\n\r\n{}",
                "POST /3/device/" + TOKEN + " HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
                "CONNECT " + APNS + " HTTP/1.1\r\nHost: " + APNS + "\r\n\r\n",
                "CONNECT " + APNS + ":443 HTTP/1.1\r\nHost: " + APNS + ":443\r\nContent-Length: 2\r\n\r\n{}")) {
            try (RawHttp.Conn c = RawHttp.tls(relay.address().getPort(), bed.pki.caPem(), null, APNS, "http/1.1")) {
                assertOne400AndClosed(c, request);
            }
        }
    }

    @Test
    void smugglingInsideATunnelShouldBeRefusedTheSame() throws Exception {
        try (RawHttp.Conn outer = RawHttp.tls(relay.address().getPort(), bed.pki.caPem(), null, APNS, "http/1.1");
             RawHttp.Conn inner = RawHttp.tunnel(outer, APNS + ":443", bed.pki.caPem(), APNS, "http/1.1")) {
            assertOne400AndClosed(inner, HEAD + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        }
    }
}
