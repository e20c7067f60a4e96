package io.pushrelay.post;

import static io.pushrelay.post.PostTestbed.APNS;
import static io.pushrelay.post.PostTestbed.TOKEN;
import static io.pushrelay.post.PostTestbed.TOPIC;
import static io.pushrelay.post.PostTestbed.curl;
import static io.pushrelay.post.PostTestbed.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.config.ConfigOverrides;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.LogCapture;
import io.pushrelay.post.policy.AllowedClients;
import io.pushrelay.post.policy.RateLimit;
import io.pushrelay.post.policy.SourceGate;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every restriction of relay-post, each driven through a real relay-post by curl or raw sockets
 * toward Pushy's mock: refused with a precise status and reason (or, at accept and in the TLS
 * handshake, a close or a TLS alert), one log line, a counter, and nothing reaching the upstream
 * (the mock sees no notification, the pool no request).
 */
class PostRestrictionsTest {
    private static final String PROTOCOL_NEGOTIATION = "io.pushrelay.core.listener.ProtocolNegotiationHandler";

    @TempDir
    static Path dir;
    static PostTestbed bed;
    static PostRelay open;
    static PostRelay mutual;

    @BeforeAll
    static void setUp() throws Exception {
        bed = new PostTestbed(dir);
        open = PostRelay.start(bed.config());
        mutual = PostRelay.start(bed.config(ConfigOverrides.none()
                .set("test", "client-ca", bed.pki.caPem())
                .set("test", "allow-clients", List.of("legacy-proxy"))));
    }

    @AfterAll
    static void tearDown() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {open, mutual, bed}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** What the upstream side has seen so far: the mock's notifications and the relay's pool requests. */
    private record Upstream(int mockSaw, long poolRequests) {
        static Upstream of(PostRelay relay) {
            return new Upstream(bed.mockSaw(), relay.pools().get(0).stats().requests());
        }
    }

    private static ExternalProcess.Result originForm(PostRelay relay, String path, String... more) {
        int port = relay.address().getPort();
        List<String> args = new ArrayList<>(List.of("-i", "--http1.1", "--cacert", bed.pki.caPem().toString(),
                "--resolve", APNS + ":" + port + ":127.0.0.1", "-H", "apns-topic: " + TOPIC, "-H",
                "authorization: " + bed.authorization));
        args.addAll(List.of(more));
        if (!args.contains("--data-binary") && !args.contains("-X")) {
            args.addAll(List.of("--data-binary", payload()));
        }
        args.add("https://" + APNS + ":" + port + path);
        return curl(args.toArray(String[]::new));
    }

    private static void assertRefused(ExternalProcess.Result r, String statusLine, RelayError error) {
        assertTrue(r.output().contains(statusLine + "\r\n"), r.output());
        assertTrue(r.output().contains("{\"reason\":\"" + error.reason() + "\"}"), r.output());
    }

    private static long count(String text, String part) {
        long n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    private static boolean logged(LogCapture log, String... parts) {
        return log.messages().stream().anyMatch(m -> {
            for (String p : parts) {
                if (!m.contains(p)) {
                    return false;
                }
            }
            return true;
        });
    }

    @Test
    void sourceOutsideTheAllowedRangesShouldBeClosedAtAcceptBeforeAnyByte() throws Exception {
        try (LogCapture log = LogCapture.of(SourceGate.class);
             PostRelay relay = PostRelay.start(bed.config(ConfigOverrides.none()
                     .set("test", "allow-sources", List.of("127.0.0.1/32"))))) {
            int port = relay.address().getPort();
            try (RawHttp.Conn stranger = RawHttp.plain(port, "127.0.0.2")) {
                assertTrue(stranger.closedWithoutAByte(), "closed at accept, nothing written");
            }
            ExternalProcess.Result r = curl("--http1.1", "--interface", "127.0.0.2", "--cacert",
                    bed.pki.caPem().toString(), "--resolve", APNS + ":" + port + ":127.0.0.1", "--data-binary",
                    payload(), "https://" + APNS + ":" + port + "/3/device/" + TOKEN);
            assertNotEquals(0, r.exitCode(), r.output());
            assertTrue(r.output().endsWith("STATUS 000 0"), "no HTTP answer at all: " + r.output());
            assertTrue(logged(log, "refused 127.0.0.2:", "source not in allow-sources (127.0.0.1/32)"),
                    log.messages().toString());
            assertEquals(2, relay.restrictions().gate().sourceRefused());
            assertEquals(2, relay.listener().counters().gateRefused());
            assertEquals(0, relay.listener().counters().accepted());
            assertEquals(new Upstream(bed.mockSaw(), 0), Upstream.of(relay));
            // The allowed source still gets through.
            ExternalProcess.Result ok = originForm(relay, "/3/device/" + TOKEN);
            assertTrue(ok.output().endsWith("STATUS 200 1.1"), ok.output());
        }
    }

    @Test
    void clientWithoutACertificateShouldFailTheHandshake() {
        Upstream before = Upstream.of(mutual);
        long failures = mutual.listener().counters().tlsHandshakeFailures();
        try (LogCapture log = LogCapture.of(PROTOCOL_NEGOTIATION)) {
            ExternalProcess.Result r = originForm(mutual, "/3/device/" + TOKEN);
            assertNotEquals(0, r.exitCode(), r.output());
            assertTrue(r.output().contains("alert certificate required"), r.output());
            assertTrue(logged(log, "TLS handshake with 127.0.0.1:", "failed", "PEER_DID_NOT_RETURN_A_CERTIFICATE"),
                    log.messages().toString());
        }
        assertEquals(failures + 1, mutual.listener().counters().tlsHandshakeFailures());
        assertEquals(before, Upstream.of(mutual));
    }

    @Test
    void clientCertificateFromAnotherCaShouldFailTheHandshakeEvenWithAnAllowedName() {
        Upstream before = Upstream.of(mutual);
        long failures = mutual.listener().counters().tlsHandshakeFailures();
        try (LogCapture log = LogCapture.of(PROTOCOL_NEGOTIATION)) {
            ExternalProcess.Result r = originForm(mutual, "/3/device/" + TOKEN, "--cert",
                    bed.foreignLegacyProxy.chain().toString(), "--key", bed.foreignLegacyProxy.key().toString());
            assertNotEquals(0, r.exitCode(), r.output());
            // BoringSSL turns the trust manager's refusal into an internal_error alert; the log says why.
            assertTrue(r.output().contains("alert internal error"), r.output());
            assertTrue(logged(log, "TLS handshake with 127.0.0.1:", "failed",
                    "unable to find valid certification path"), log.messages().toString());
        }
        assertEquals(failures + 1, mutual.listener().counters().tlsHandshakeFailures());
        assertEquals(before, Upstream.of(mutual));
    }

    @Test
    void clientCertificateWithAnotherNameShouldBeAnswered403() {
        Upstream before = Upstream.of(mutual);
        long refused = mutual.restrictions().clients().refused();
        try (LogCapture log = LogCapture.of(AllowedClients.class)) {
            ExternalProcess.Result r = originForm(mutual, "/3/device/" + TOKEN, "--cert",
                    bed.intruder.chain().toString(), "--key", bed.intruder.key().toString());
            assertRefused(r, "HTTP/1.1 403 Forbidden", RelayError.CLIENT_NOT_ALLOWED);
            assertTrue(logged(log, "refused: certificate intruder names none of allow-clients (legacy-proxy)"),
                    log.messages().toString());
        }
        assertEquals(refused + 1, mutual.restrictions().clients().refused());
        assertEquals(before, Upstream.of(mutual));
    }

    @Test
    void absoluteFormToAnUnroutedHostShouldBeAnswered403NeverRelayed() {
        Upstream before = Upstream.of(open);
        long answers = open.relayAnswers(RelayError.DESTINATION_NOT_ALLOWED);
        try (LogCapture log = LogCapture.of(Forwarder.class)) {
            ExternalProcess.Result r = curl("-i", "--http1.1", "--proxy", "https://127.0.0.1:" + open.address().getPort(),
                    "--proxy-cacert", bed.pki.caPem().toString(), "-H", "apns-topic: " + TOPIC, "--data-binary",
                    payload(), "http://www.example.com/3/device/" + TOKEN);
            assertRefused(r, "HTTP/1.1 403 Forbidden", RelayError.DESTINATION_NOT_ALLOWED);
            assertTrue(logged(log, "answered 403 RelayDestinationNotAllowed", "www.example.com"),
                    log.messages().toString());
        }
        assertEquals(before, Upstream.of(open));
        assertEquals(answers + 1, open.relayAnswers(RelayError.DESTINATION_NOT_ALLOWED));
    }

    @Test
    void connectToPort22OrAnUnroutedHostShouldBeAnswered403BeforeAnyTunnel() throws Exception {
        Upstream before = Upstream.of(open);
        long tunnels = open.listener().counters().tunnels();
        int port = open.address().getPort();
        try (LogCapture log = LogCapture.of(Forwarder.class)) {
            ExternalProcess.Result r = curl("-i", "--http1.1", "--proxy", "https://127.0.0.1:" + port,
                    "--proxy-cacert", bed.pki.caPem().toString(), "--proxytunnel", "--cacert",
                    bed.pki.caPem().toString(), "--data-binary", payload(),
                    "https://" + APNS + ":22/3/device/" + TOKEN);
            assertTrue(r.output().contains("CONNECT tunnel failed, response 403"), r.output());
            for (String target : List.of(APNS + ":22", "www.example.com:443")) {
                try (RawHttp.Conn c = RawHttp.tls(port, bed.pki.caPem(), null, APNS, "http/1.1")) {
                    c.send("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n");
                    String answer = c.readToEnd();
                    RelayError expected = target.endsWith(":22") ? RelayError.PORT_NOT_ALLOWED
                            : RelayError.DESTINATION_NOT_ALLOWED;
                    assertTrue(answer.startsWith("HTTP/1.1 403 Forbidden\r\n"), answer);
                    assertTrue(answer.endsWith("{\"reason\":\"" + expected.reason() + "\"}"), answer);
                    assertTrue(answer.contains("connection: close\r\n"), answer);
                }
            }
            assertTrue(logged(log, "answered 403 RelayPortNotAllowed", APNS + " => 127.0.0.1:" + bed.mockPort,
                    "CONNECT"), log.messages().toString());
            assertTrue(logged(log, "answered 403 RelayDestinationNotAllowed", "www.example.com:443"),
                    log.messages().toString());
        }
        assertEquals(tunnels, open.listener().counters().tunnels(), "no tunnel opened");
        assertEquals(before, Upstream.of(open));
    }

    @Test
    void requestInsideATunnelForAnotherHostShouldBeAnswered421() throws Exception {
        try (PostRelay relay = PostRelay.start(bed.config(ConfigOverrides.none().set("test",
                List.of("routes", "api.sandbox.push.apple.com"), "127.0.0.1:" + bed.mockPort)));
             RawHttp.Conn outer = RawHttp.tls(relay.address().getPort(), bed.pki.caPem(), null, APNS, "http/1.1");
             RawHttp.Conn inner = RawHttp.tunnel(outer, APNS + ":443", bed.pki.caPem(), APNS, "http/1.1")) {
            Upstream before = Upstream.of(relay);
            inner.send(RawHttp.post("api.sandbox.push.apple.com", TOKEN, "11111111-2222-3333-4444-000000000021",
                    bed.authorization, ""));
            String refused = inner.readResponse();
            assertTrue(refused.startsWith("HTTP/1.1 421 Misdirected Request\r\n"), refused);
            assertTrue(refused.endsWith("{\"reason\":\"RelayMisdirectedRequest\"}"), refused);
            assertEquals(before, Upstream.of(relay));
            // The tunnel's own host on the same connection goes through.
            inner.send(RawHttp.post(APNS, TOKEN, "11111111-2222-3333-4444-000000000022", bed.authorization, ""));
            String ok = inner.readResponse();
            assertTrue(ok.startsWith("HTTP/1.1 200 OK\r\n"), ok);
            assertTrue(ok.contains("apns-id: 11111111-2222-3333-4444-000000000022\r\n"), ok);
        }
    }

    @Test
    void pathsAndMethodsOutsideTheRouteShouldBeRefused() {
        Upstream before = Upstream.of(open);
        assertRefused(originForm(open, "/3/device/not-a-hex-token"), "HTTP/1.1 404 Not Found",
                RelayError.PATH_NOT_ALLOWED);
        assertRefused(originForm(open, "/3/devices/" + TOKEN), "HTTP/1.1 404 Not Found", RelayError.PATH_NOT_ALLOWED);
        assertRefused(originForm(open, "/3/device/" + TOKEN, "-X", "GET"), "HTTP/1.1 405 Method Not Allowed",
                RelayError.METHOD_NOT_ALLOWED);
        assertRefused(originForm(open, "/3/device/" + TOKEN, "-X", "PUT", "--data-binary", payload()),
                "HTTP/1.1 405 Method Not Allowed", RelayError.METHOD_NOT_ALLOWED);
        assertEquals(before, Upstream.of(open));
    }

    @Test
    void bodyOverTheRouteLimitShouldBeAnswered413() {
        Upstream before = Upstream.of(open);
        String big = "{\"aps\":{\"alert\":\"" + "x".repeat(6000) + "\"}}";
        ExternalProcess.Result r = originForm(open, "/3/device/" + TOKEN, "--data-binary", big);
        assertRefused(r, "HTTP/1.1 413 Payload Too Large", RelayError.BODY_TOO_LARGE);
        assertEquals(before, Upstream.of(open));
    }

    @Test
    void requestsOverTheClientsRateShouldBeAnswered429() throws Exception {
        try (LogCapture log = LogCapture.of(RateLimit.class);
             PostRelay relay = PostRelay.start(bed.config(ConfigOverrides.none()
                     .set("test", List.of("limits", "requests-per-second-per-client"), 2)))) {
            int saw = bed.mockSaw();
            String url = "https://" + APNS + ":" + relay.address().getPort() + "/3/device/" + TOKEN;
            List<String> args = new ArrayList<>(List.of("-i", "--http1.1", "--cacert", bed.pki.caPem().toString(),
                    "--resolve", APNS + ":" + relay.address().getPort() + ":127.0.0.1", "-H", "apns-topic: " + TOPIC,
                    "-H", "authorization: " + bed.authorization, "--data-binary", payload()));
            for (int i = 0; i < 5; i++) {
                args.add(url);
            }
            ExternalProcess.Result r = curl(args.toArray(String[]::new));
            assertTrue(r.output().contains("HTTP/1.1 429 Too Many Requests\r\n"), r.output());
            assertTrue(r.output().contains("{\"reason\":\"RelayTooManyRequests\"}"), r.output());
            long ok = count(r.output(), "STATUS 200 1.1");
            long limited = count(r.output(), "STATUS 429 1.1");
            assertEquals(5, ok + limited, r.output());
            assertTrue(ok >= 2 && ok <= 3, "the burst of two, maybe one refilled: " + r.output());
            assertEquals(limited, relay.restrictions().rate().refused());
            assertEquals(limited, relay.relayAnswers(RelayError.RATE_LIMITED));
            assertEquals(saw + ok, bed.mockSaw(), "the refused ones never reached the mock");
            assertEquals(ok, relay.pools().get(0).stats().requests());
            assertTrue(logged(log, "client 127.0.0.1 over 2 requests/s: answering 429 RelayTooManyRequests"),
                    log.messages().toString());
        }
    }

    @Test
    void connectionsBeyondTheClientsLimitShouldBeClosedAtAccept() throws Exception {
        try (LogCapture log = LogCapture.of(SourceGate.class);
             PostRelay relay = PostRelay.start(bed.config(ConfigOverrides.none()
                     .set("test", List.of("limits", "max-connections-per-client"), 2)))) {
            int port = relay.address().getPort();
            try (RawHttp.Conn first = RawHttp.tls(port, bed.pki.caPem(), null, APNS, "http/1.1");
                 RawHttp.Conn second = RawHttp.tls(port, bed.pki.caPem(), null, APNS, "http/1.1")) {
                try (RawHttp.Conn third = RawHttp.plain(port, null)) {
                    assertTrue(third.closedWithoutAByte(), "the third is closed at accept");
                }
                assertEquals(1, relay.restrictions().gate().limitRefused());
                assertTrue(logged(log, "has max-connections-per-client (2) open"), log.messages().toString());
                first.send(RawHttp.post(APNS, TOKEN, "11111111-2222-3333-4444-000000000031", bed.authorization, ""));
                assertTrue(first.readResponse().startsWith("HTTP/1.1 200 OK\r\n"));
            }
            // Both closed: room again.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (relay.restrictions().gate().openFrom(java.net.InetAddress.getByName("127.0.0.1")) > 0
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            try (RawHttp.Conn again = RawHttp.tls(port, bed.pki.caPem(), null, APNS, "http/1.1")) {
                again.send(RawHttp.post(APNS, TOKEN, "11111111-2222-3333-4444-000000000032", bed.authorization, ""));
                assertTrue(again.readResponse().startsWith("HTTP/1.1 200 OK\r\n"));
            }
            assertFalse(relay.restrictions().gate().limitRefused() > 1);
        }
    }
}
