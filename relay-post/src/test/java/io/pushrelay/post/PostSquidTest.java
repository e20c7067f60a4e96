package io.pushrelay.post;

import static io.pushrelay.post.PostTestbed.APNS;
import static io.pushrelay.post.PostTestbed.TOKEN;
import static io.pushrelay.post.PostTestbed.TOPIC;
import static io.pushrelay.post.PostTestbed.UNKNOWN_TOKEN;
import static io.pushrelay.post.PostTestbed.curl;
import static io.pushrelay.post.PostTestbed.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.config.ConfigOverrides;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.Squid;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The legacy proxy of the post-relay story: a real Squid with relay-post as its
 * {@code cache_peer ... parent}, {@code never_direct allow all}. curl sends plain HTTP/1.1 to
 * Squid ({@code http_proxy}); Squid forwards to relay-post (absolute-form over TLS, presenting a
 * client certificate relay-post requires; or origin-form in cleartext with {@code originserver});
 * relay-post relays each request as h2 to Pushy's mock and the answer comes back through Squid.
 *
 * <p>Two Squid facts this shows: it checks the parent's certificate against the peer's host
 * ({@code 127.0.0.1} here, which it matches against DNS names only) unless {@code tls-domain}
 * names it; and to an {@code originserver} parent it drops {@code authorization} unless the
 * peer has {@code login=PASSTHRU}, which APNS token auth needs.
 */
class PostSquidTest {
    @TempDir
    static Path dir;
    static PostTestbed bed;
    static Path peerFiles;

    @BeforeAll
    static void setUp() throws Exception {
        bed = new PostTestbed(dir);
        // Squid runs as 'proxy': what it reads lives in a folder it can enter.
        peerFiles = Files.createDirectories(dir.resolve("squid-peer"));
        Files.setPosixFilePermissions(peerFiles, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (Path file : List.of(bed.pki.caPem(), bed.legacyProxy.chain(), bed.legacyProxy.key())) {
            Path copy = Files.copy(file, peerFiles.resolve(file.getFileName()));
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
        }
    }

    @AfterAll
    static void tearDown() throws Exception {
        bed.close();
    }

    private static ExternalProcess.Result throughSquid(Squid squid, String token, String apnsId) {
        return curl("-i", "--proxy", squid.url(), "-H", "apns-topic: " + TOPIC, "-H",
                "authorization: " + bed.authorization, "-H", "apns-id: " + apnsId, "--data-binary", payload(),
                "http://" + APNS + "/3/device/" + token);
    }

    private static void assertThroughTheParent(Squid squid, int requests) {
        squid.stop();
        // The fixture's readiness probe leaves a line without a request; only the POSTs count.
        List<Squid.AccessLogEntry> log = squid.accessLog().stream().filter(e -> e.method().equals("POST")).toList();
        assertEquals(requests, log.size(), log.toString());
        for (Squid.AccessLogEntry entry : log) {
            assertTrue(entry.hierarchy().contains("PARENT/127.0.0.1"), entry.toString());
        }
    }

    @Test
    void squidShouldForwardAbsoluteFormOverTlsWithItsClientCertificate() throws Exception {
        try (PostRelay relay = PostRelay.start(bed.config(ConfigOverrides.none()
                .set("test", "client-ca", bed.pki.caPem())
                .set("test", "allow-clients", List.of("legacy-proxy"))));
             Squid squid = Squid.builder().directory(dir)
                     .config("cache_peer 127.0.0.1 parent " + relay.address().getPort() + " 0 no-query no-digest"
                             + " name=relaypost tls tls-cafile=" + peerFiles.resolve("ca.pem")
                             + " tls-domain=" + PostTestbed.RELAY_NAME
                             + " tls-cert=" + peerFiles.resolve("legacy-proxy.pem")
                             + " tls-key=" + peerFiles.resolve("legacy-proxy.key"))
                     .config("never_direct allow all")
                     .start()) {
            int accepted = bed.accepted.get();
            ExternalProcess.Result ok = throughSquid(squid, TOKEN, "11111111-2222-3333-4444-000000000051");
            assertTrue(ok.output().contains("HTTP/1.1 200 OK\r\n"), ok.output());
            assertTrue(ok.output().contains("apns-id: 11111111-2222-3333-4444-000000000051\r\n"), ok.output());
            ExternalProcess.Result rejected = throughSquid(squid, UNKNOWN_TOKEN, "11111111-2222-3333-4444-000000000052");
            assertTrue(rejected.output().contains("HTTP/1.1 400 Bad Request\r\n"), rejected.output());
            assertTrue(rejected.output().contains("{\"reason\":\"DeviceTokenNotForTopic\"}"), rejected.output());
            assertEquals(accepted + 1, bed.accepted.get());
            assertEquals(APNS, bed.lastHeaders.get(":authority"), bed.lastHeaders.toString());
            assertTrue(relay.listener().counters().h1Alpn() + relay.listener().counters().h1WithoutAlpn() >= 1,
                    "HTTP/1.1 over TLS from Squid");
            assertEquals(0, relay.listener().counters().tlsHandshakeFailures());
            assertThroughTheParent(squid, 2);
        }
    }

    @Test
    void squidShouldForwardOriginFormInCleartextToAnOriginServerParent() throws Exception {
        try (PostRelay relay = PostRelay.start(bed.config(ConfigOverrides.none()
                .set("test", "tls", null).set("test", "plaintext", true)));
             Squid squid = Squid.builder().directory(dir)
                     .config("cache_peer 127.0.0.1 parent " + relay.address().getPort() + " 0 no-query no-digest"
                             + " originserver login=PASSTHRU name=relaypost")
                     .config("never_direct allow all")
                     .start()) {
            ExternalProcess.Result ok = throughSquid(squid, TOKEN, "11111111-2222-3333-4444-000000000053");
            assertTrue(ok.output().contains("HTTP/1.1 200 OK\r\n"), ok.output());
            assertTrue(ok.output().contains("apns-id: 11111111-2222-3333-4444-000000000053\r\n"), ok.output());
            ExternalProcess.Result refused = curl("-i", "--proxy", squid.url(), "-H", "apns-topic: " + TOPIC,
                    "--data-binary", payload(), "http://" + APNS + "/3/device/not-a-token");
            assertTrue(refused.output().contains("HTTP/1.1 404 Not Found\r\n"), refused.output());
            assertTrue(refused.output().contains("{\"reason\":\"BadPath\"}"), refused.output());
            assertTrue(relay.listener().counters().h1Plaintext() >= 1, "cleartext HTTP/1.1 from Squid");
            assertThroughTheParent(squid, 2);
        }
    }
}
