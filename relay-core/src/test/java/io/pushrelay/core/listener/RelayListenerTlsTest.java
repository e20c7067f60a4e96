package io.pushrelay.core.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.policy.PolicyRule;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.TestPki;
import io.pushrelay.core.testing.TestTls;
import java.io.IOException;
import java.math.BigInteger;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Certificates: SNI, reload, client certificates, protocol versions. */
class RelayListenerTlsTest {
    private static BigInteger servedSerial(RelayFixture relay, String sni) throws IOException {
        try (SSLSocket socket = RawClient.tls(relay.port(), relay.caPem(), null, sni, "h2")) {
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    @Test
    void serverNameShouldPickItsCertificateAndUnknownNamesTheDefault(@TempDir Path dir) throws Exception {
        Path pkiDir = dir.resolve("sni");
        TestPki sniPki = TestPki.create(pkiDir, "Other CA");
        TestPki.LeafFiles sandbox = sniPki.server("sandbox", "api.sandbox.push.apple.com");
        try (RelayFixture relay = RelayFixture.tls(dir, c -> c)) {
            relay.listener.reloadTls(TlsConfig.of(relay.server.chain(), relay.server.key())
                    .withSni("API.Sandbox.Push.Apple.com", sandbox.chain(), sandbox.key()));
            BigInteger main = relay.server.leaf().certificate().getSerialNumber();
            assertEquals(main, servedSerial(relay, "api.push.apple.com"));
            assertEquals(main, servedSerial(relay, null), "no SNI: the default");
            try (SSLSocket socket = (SSLSocket) TestTls.trusting(sniPki.caPem()).getSocketFactory()
                    .createSocket("127.0.0.1", relay.port())) {
                var params = socket.getSSLParameters();
                params.setServerNames(List.of(new javax.net.ssl.SNIHostName("api.sandbox.push.apple.com")));
                params.setEndpointIdentificationAlgorithm("HTTPS");
                socket.setSSLParameters(params);
                socket.startHandshake();
                assertEquals(sandbox.leaf().certificate().getSerialNumber(),
                        ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber());
            }
        }
    }

    @Test
    void reloadShouldServeTheNewCertificateToNewHandshakesWithoutDroppingConnections(@TempDir Path dir)
            throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            HttpClient http = RelayListenerPeersTest.jdkClient(relay);
            assertEquals(200, http.send(RelayListenerPeersTest.jdkPost(relay, "{}"),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            BigInteger before = servedSerial(relay, "api.push.apple.com");
            TestPki.LeafFiles renewed = relay.pki.server("renewed", "api.push.apple.com");
            relay.listener.reloadTls(TlsConfig.of(renewed.chain(), renewed.key()));
            BigInteger after = servedSerial(relay, "api.push.apple.com");
            assertNotEquals(before, after);
            assertEquals(renewed.leaf().certificate().getSerialNumber(), after);
            long accepted = relay.listener.counters().accepted();
            assertEquals(200, http.send(RelayListenerPeersTest.jdkPost(relay, "{}"),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(accepted, relay.listener.counters().accepted(), "the old connection carried on");
        }
    }

    @Test
    void reloadWithABrokenKeyShouldChangeNothing(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            Path broken = dir.resolve("broken.key");
            Files.writeString(broken, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
            BigInteger before = servedSerial(relay, "api.push.apple.com");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> relay.listener.reloadTls(TlsConfig.of(relay.server.chain(), broken)));
            assertTrue(e.getMessage().contains("broken.key"), e.getMessage());
            assertEquals(before, servedSerial(relay, "api.push.apple.com"));
        }
    }

    @Test
    void verifiedClientCertificateShouldReachThePolicy(@TempDir Path dir) throws Exception {
        AtomicReference<X509Certificate> seen = new AtomicReference<>();
        PolicyRule onlyRelayPre = (request, route, downstream) -> {
            seen.set(downstream.clientCertificate());
            return downstream.clientCertificate() != null
                    && downstream.clientCertificate().getSubjectX500Principal().getName().contains("CN=relay-pre")
                    ? null : RelayError.FORBIDDEN;
        };
        Path ca = dir.resolve("pki").resolve("ca.pem");
        try (RelayFixture relay = RelayFixture.tls(dir,
                c -> new ListenerConfig(c.name(), c.address(), c.tls().withClientCa(ca), c.handshakeTimeout(),
                        c.idleTimeout(), c.maxConnections(), c.maxConcurrentStreams(), c.maxPipelinedRequests()),
                onlyRelayPre)) {
            TestPki.LeafFiles client = relay.pki.client("relay-pre");
            TestPki.LeafFiles other = relay.pki.client("someone-else");
            HttpClient http = HttpClient.newBuilder().sslContext(TestTls.context(relay.caPem(), client.p12()))
                    .version(HttpClient.Version.HTTP_2).build();
            HttpResponse<String> ok = http.send(RelayListenerPeersTest.jdkPost(relay, "{}"),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode(), ok.body());
            assertNotNull(seen.get());
            assertEquals(client.leaf().certificate(), seen.get());

            HttpClient stranger = HttpClient.newBuilder().sslContext(TestTls.context(relay.caPem(), other.p12()))
                    .version(HttpClient.Version.HTTP_2).build();
            HttpResponse<String> refused = stranger.send(RelayListenerPeersTest.jdkPost(relay, "{}"),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(403, refused.statusCode());
            assertEquals("{\"reason\":\"RelayForbidden\"}", refused.body());
            assertEquals(1, relay.upstream.calls());
        }
    }

    @Test
    void missingClientCertificateShouldFailTheHandshake(@TempDir Path dir) throws Exception {
        Path ca = dir.resolve("pki").resolve("ca.pem");
        try (RelayFixture relay = RelayFixture.tls(dir,
                c -> new ListenerConfig(c.name(), c.address(), c.tls().withClientCa(ca), c.handshakeTimeout(),
                        c.idleTimeout(), c.maxConnections(), c.maxConcurrentStreams(), c.maxPipelinedRequests()))) {
            ExternalProcess.Result result = ExternalProcess.run(Duration.ofSeconds(20), Map.of(), List.of("curl", "-sS",
                    "--noproxy", "*", "--http2", "--cacert", relay.caPem().toString(),
                    "--resolve", "api.push.apple.com:" + relay.port() + ":127.0.0.1", "-d", "{}",
                    "https://api.push.apple.com:" + relay.port() + "/3/device/abc"));
            assertNotEquals(0, result.exitCode(), result.output());
            awaitCount(() -> relay.listener.counters().tlsHandshakeFailures(), 1);
            assertEquals(0, relay.upstream.calls());
        }
    }

    @Test
    void tls11ShouldBeRefused(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            ExternalProcess.Result result = ExternalProcess.run(Duration.ofSeconds(20), Map.of(), List.of("openssl",
                    "s_client", "-connect", "127.0.0.1:" + relay.port(), "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0",
                    "-servername", "api.push.apple.com"));
            assertNotEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains("alert protocol version"), result.output());
            awaitCount(() -> relay.listener.counters().tlsHandshakeFailures(), 1);
        }
    }

    @Test
    void plaintextListenerShouldRefuseTlsReload(@TempDir Path dir) {
        try (RelayFixture relay = RelayFixture.plaintext(dir)) {
            assertThrows(IllegalStateException.class,
                    () -> relay.listener.reloadTls(TlsConfig.of(relay.server.chain(), relay.server.key())));
            assertNull(relay.listener.config().tls());
        }
    }

    private static void awaitCount(java.util.function.LongSupplier counter, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (counter.getAsLong() < expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(expected, counter.getAsLong());
    }
}
