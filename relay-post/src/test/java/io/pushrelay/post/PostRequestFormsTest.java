package io.pushrelay.post;

import static io.pushrelay.post.PostTestbed.APNS;
import static io.pushrelay.post.PostTestbed.TOKEN;
import static io.pushrelay.post.PostTestbed.TOPIC;
import static io.pushrelay.post.PostTestbed.UNKNOWN_TOKEN;
import static io.pushrelay.post.PostTestbed.curl;
import static io.pushrelay.post.PostTestbed.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.config.ConfigOverrides;
import io.pushrelay.core.testing.ExternalProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * curl in each request form a legacy proxy uses, through a real relay-post (the real upstream
 * pool) to Pushy's mock APNS server over h2: origin-form (curl {@code --resolve}), absolute-form
 * (relay-post as curl's HTTPS proxy, and cleartext with {@code plaintext}), and CONNECT
 * ({@code --proxytunnel}) with HTTP/1.1 or h2 inside the terminated tunnel. The mock's status,
 * {@code apns-id} and JSON reason come back intact; hop-by-hop headers do not reach it.
 */
class PostRequestFormsTest {
    @TempDir
    static Path dir;
    static PostTestbed bed;
    static PostRelay relay;
    static PostRelay plaintext;
    static PostRelay mutual;

    @BeforeAll
    static void setUp() throws Exception {
        bed = new PostTestbed(dir);
        relay = PostRelay.start(bed.config());
        plaintext = PostRelay.start(bed.config(ConfigOverrides.none()
                .set("test", "tls", null).set("test", "plaintext", true)));
        mutual = PostRelay.start(bed.config(ConfigOverrides.none()
                .set("test", "client-ca", bed.pki.caPem())
                .set("test", "allow-clients", List.of("legacy-proxy"))));
    }

    @AfterAll
    static void tearDown() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {relay, plaintext, mutual, bed}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static int port(PostRelay r) {
        return r.address().getPort();
    }

    /** The notification headers and body, plus {@code more} curl arguments, then the URL. */
    private static ExternalProcess.Result post(String apnsId, String url, String... more) {
        List<String> args = new ArrayList<>(List.of("-i", "-H", "apns-topic: " + TOPIC, "-H",
                "authorization: " + bed.authorization, "-H", "apns-id: " + apnsId, "--data-binary", payload()));
        args.addAll(List.of(more));
        args.add(url);
        return curl(args.toArray(String[]::new));
    }

    private static void assertAccepted(ExternalProcess.Result r, String apnsId, String statusLine) {
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains(statusLine + "\r\n"), r.output());
        assertTrue(r.output().contains("apns-id: " + apnsId), r.output());
        assertTrue(r.output().endsWith("STATUS 200 " + (statusLine.startsWith("HTTP/2") ? "2" : "1.1")), r.output());
    }

    private static void assertRejectedByTheMock(ExternalProcess.Result r, String apnsId) {
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("HTTP/1.1 400 Bad Request\r\n"), r.output());
        assertTrue(r.output().contains("apns-id: " + apnsId), r.output());
        assertTrue(r.output().contains("{\"reason\":\"DeviceTokenNotForTopic\"}"), r.output());
    }

    @Test
    void originFormWithHostShouldReachTheMockAndBringItsAnswerBack() {
        int before = bed.accepted.get();
        String base = "https://" + APNS + ":" + port(relay) + "/3/device/";
        String[] tls = {"--http1.1", "--cacert", bed.pki.caPem().toString(), "--resolve",
            APNS + ":" + port(relay) + ":127.0.0.1"};
        assertAccepted(post("11111111-2222-3333-4444-000000000001", base + TOKEN, tls),
                "11111111-2222-3333-4444-000000000001", "HTTP/1.1 200 OK");
        assertRejectedByTheMock(post("11111111-2222-3333-4444-000000000002", base + UNKNOWN_TOKEN, tls),
                "11111111-2222-3333-4444-000000000002");
        assertEquals(before + 1, bed.accepted.get());
    }

    @Test
    void h2ByAlpnOnTheListenerItselfShouldReachTheMock() {
        String url = "https://" + APNS + ":" + port(relay) + "/3/device/";
        String[] tls = {"--http2", "--cacert", bed.pki.caPem().toString(), "--resolve",
            APNS + ":" + port(relay) + ":127.0.0.1"};
        assertAccepted(post("11111111-2222-3333-4444-000000000015", url + TOKEN, tls),
                "11111111-2222-3333-4444-000000000015", "HTTP/2 200 ");
        ExternalProcess.Result bad = post("11111111-2222-3333-4444-000000000016", url + UNKNOWN_TOKEN, tls);
        assertTrue(bad.output().contains("HTTP/2 400"), bad.output());
        assertTrue(bad.output().contains("{\"reason\":\"DeviceTokenNotForTopic\"}"), bad.output());
    }

    @Test
    void absoluteFormToTheRelayAsHttpsProxyShouldTakeTheAuthorityFromTheTarget() {
        String[] proxy = {"--http1.1", "--proxy", "https://127.0.0.1:" + port(relay), "--proxy-cacert",
            bed.pki.caPem().toString()};
        assertAccepted(post("11111111-2222-3333-4444-000000000003", "http://" + APNS + "/3/device/" + TOKEN, proxy),
                "11111111-2222-3333-4444-000000000003", "HTTP/1.1 200 OK");
        assertEquals(APNS, bed.lastHeaders.get(":authority"), bed.lastHeaders.toString());
        assertRejectedByTheMock(post("11111111-2222-3333-4444-000000000004",
                "http://" + APNS + "/3/device/" + UNKNOWN_TOKEN, proxy), "11111111-2222-3333-4444-000000000004");
    }

    @Test
    void connectTunnelShouldBeTerminatedWithTheRelaysCertificateAndCarryHttp11() {
        long tunnels = relay.listener().counters().tunnels();
        ExternalProcess.Result r = post("11111111-2222-3333-4444-000000000005", "https://" + APNS + "/3/device/" + TOKEN,
                "--http1.1", "--proxy", "https://127.0.0.1:" + port(relay), "--proxy-cacert",
                bed.pki.caPem().toString(), "--proxytunnel", "--cacert", bed.pki.caPem().toString());
        // The CONNECT's own answer first: 200, no Content-Length.
        assertTrue(r.output().startsWith("HTTP/1.1 200 OK\r\n\r\n"), r.output());
        assertAccepted(r, "11111111-2222-3333-4444-000000000005", "HTTP/1.1 200 OK");
        assertEquals(tunnels + 1, relay.listener().counters().tunnels());
    }

    @Test
    void connectTunnelShouldCarryH2ByAlpn() {
        ExternalProcess.Result ok = post("11111111-2222-3333-4444-000000000006",
                "https://" + APNS + "/3/device/" + TOKEN, "--http2", "--proxy", "https://127.0.0.1:" + port(relay),
                "--proxy-cacert", bed.pki.caPem().toString(), "--proxytunnel", "--cacert", bed.pki.caPem().toString());
        assertAccepted(ok, "11111111-2222-3333-4444-000000000006", "HTTP/2 200 ");
        ExternalProcess.Result bad = post("11111111-2222-3333-4444-000000000007",
                "https://" + APNS + "/3/device/" + UNKNOWN_TOKEN, "--http2", "--proxy", "https://127.0.0.1:" + port(relay),
                "--proxy-cacert", bed.pki.caPem().toString(), "--proxytunnel", "--cacert", bed.pki.caPem().toString());
        assertTrue(bad.output().contains("HTTP/2 400"), bad.output());
        assertTrue(bad.output().contains("{\"reason\":\"DeviceTokenNotForTopic\"}"), bad.output());
    }

    @Test
    void plaintextListenerShouldTakeAbsoluteAndOriginForm() {
        assertAccepted(post("11111111-2222-3333-4444-000000000008", "http://" + APNS + "/3/device/" + TOKEN,
                "--http1.1", "--proxy", "http://127.0.0.1:" + port(plaintext)),
                "11111111-2222-3333-4444-000000000008", "HTTP/1.1 200 OK");
        assertAccepted(post("11111111-2222-3333-4444-000000000009",
                "http://" + APNS + ":" + port(plaintext) + "/3/device/" + TOKEN, "--http1.1", "--resolve",
                APNS + ":" + port(plaintext) + ":127.0.0.1"), "11111111-2222-3333-4444-000000000009", "HTTP/1.1 200 OK");
    }

    @Test
    void connectOnAPlaintextListenerShouldBeRefusedWithoutCertificatesToTerminateIt() {
        int saw = bed.mockSaw();
        ExternalProcess.Result r = post("11111111-2222-3333-4444-000000000010",
                "https://" + APNS + "/3/device/" + TOKEN, "--http1.1", "--proxy", "http://127.0.0.1:" + port(plaintext),
                "--proxytunnel", "--cacert", bed.pki.caPem().toString());
        assertTrue(r.output().contains("HTTP/1.1 405 Method Not Allowed"), r.output());
        assertTrue(r.output().contains("CONNECT tunnel failed, response 405"), r.output());
        assertEquals(saw, bed.mockSaw());
    }

    @Test
    void allowedClientCertificateShouldPassInEveryForm() {
        String ca = bed.pki.caPem().toString();
        String[] proxyCert = {"--proxy-cert", bed.legacyProxy.chain().toString(), "--proxy-key",
            bed.legacyProxy.key().toString()};
        List<String> absolute = new ArrayList<>(List.of("--http1.1", "--proxy", "https://127.0.0.1:" + port(mutual),
                "--proxy-cacert", ca));
        absolute.addAll(List.of(proxyCert));
        assertAccepted(post("11111111-2222-3333-4444-000000000011", "http://" + APNS + "/3/device/" + TOKEN,
                absolute.toArray(String[]::new)), "11111111-2222-3333-4444-000000000011", "HTTP/1.1 200 OK");
        assertAccepted(post("11111111-2222-3333-4444-000000000012",
                "https://" + APNS + ":" + port(mutual) + "/3/device/" + TOKEN, "--http1.1", "--cacert", ca,
                "--resolve", APNS + ":" + port(mutual) + ":127.0.0.1", "--cert", bed.legacyProxy.chain().toString(),
                "--key", bed.legacyProxy.key().toString()), "11111111-2222-3333-4444-000000000012", "HTTP/1.1 200 OK");
        // Inside the tunnel no certificate is asked again: the outer TLS proved who it is.
        List<String> tunnel = new ArrayList<>(absolute);
        tunnel.addAll(List.of("--proxytunnel", "--cacert", ca));
        assertAccepted(post("11111111-2222-3333-4444-000000000013", "https://" + APNS + "/3/device/" + TOKEN,
                tunnel.toArray(String[]::new)), "11111111-2222-3333-4444-000000000013", "HTTP/1.1 200 OK");
    }

    @Test
    void hopByHopHeadersShouldStopAtTheRelayAndHostBecomeTheAuthority() {
        ExternalProcess.Result r = post("11111111-2222-3333-4444-000000000014",
                "https://" + APNS + ":" + port(relay) + "/3/device/" + TOKEN, "--http1.1", "--cacert",
                bed.pki.caPem().toString(), "--resolve", APNS + ":" + port(relay) + ":127.0.0.1",
                "-H", "Connection: keep-alive, X-Hop", "-H", "X-Hop: 1", "-H", "Keep-Alive: timeout=5",
                "-H", "Proxy-Authorization: Basic Zm9vOmJhcg==", "-H", "TE: trailers, deflate", "-H", "Upgrade: h2c",
                "-H", "X-End-To-End: kept");
        assertAccepted(r, "11111111-2222-3333-4444-000000000014", "HTTP/1.1 200 OK");
        Map<String, String> seen = bed.lastHeaders;
        for (String gone : List.of("connection", "x-hop", "keep-alive", "proxy-authorization", "upgrade", "host",
                "transfer-encoding")) {
            assertNull(seen.get(gone), gone + " in " + seen);
        }
        assertEquals("trailers", seen.get("te"), seen.toString());
        assertEquals("kept", seen.get("x-end-to-end"), seen.toString());
        assertEquals(APNS, seen.get(":authority"), seen.toString());
        assertEquals("https", seen.get(":scheme"), seen.toString());
    }

    @Test
    void chunkedBodyAndExpectContinueShouldBeRelayedWhole() {
        String big = "{\"aps\":{\"alert\":\"" + "x".repeat(2000) + "\"}}";
        ExternalProcess.Result r = curl("-i", "--http1.1", "--cacert", bed.pki.caPem().toString(), "--resolve",
                APNS + ":" + port(relay) + ":127.0.0.1", "-H", "apns-topic: " + TOPIC, "-H",
                "authorization: " + bed.authorization, "-H", "Transfer-Encoding: chunked", "-H", "Expect: 100-continue",
                "--data-binary", big, "https://" + APNS + ":" + port(relay) + "/3/device/" + TOKEN);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().startsWith("HTTP/1.1 100 Continue\r\n"), r.output());
        assertTrue(r.output().contains("HTTP/1.1 200 OK\r\n"), r.output());
        assertTrue(r.output().endsWith("STATUS 200 1.1"), r.output());
    }

    @Test
    void keepAliveShouldServeSeveralRequestsOnOneConnection() {
        long accepted = relay.listener().counters().accepted();
        String url = "https://" + APNS + ":" + port(relay) + "/3/device/" + TOKEN;
        ExternalProcess.Result r = curl("--http1.1", "--cacert", bed.pki.caPem().toString(), "--resolve",
                APNS + ":" + port(relay) + ":127.0.0.1", "-H", "apns-topic: " + TOPIC, "-H",
                "authorization: " + bed.authorization, "--data-binary", payload(), "-o", "/dev/null", url,
                "-o", "/dev/null", url, "-o", "/dev/null", url);
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("\nSTATUS 200 1.1\nSTATUS 200 1.1\nSTATUS 200 1.1", r.output());
        assertEquals(accepted + 1, relay.listener().counters().accepted(), "one connection for the three");
        assertFalse(relay.listener().counters().accepted() > accepted + 1);
    }
}
