package io.pushrelay.pre.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.pushrelay.core.testing.H2TestServer;
import io.pushrelay.core.testing.LogCapture;
import io.pushrelay.core.testing.Ports;
import io.pushrelay.core.testing.Squid;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * relay-pre (in this JVM, paranoid leak detection) when the proxy or the upstream misbehaves;
 * senders are curl and h2load, upstreams Squid and {@link H2TestServer}. Every relay-made answer
 * is an APNS-shaped {@code {"reason": ...}} that is never a device-removal reason.
 */
class FaultsTest {
    @TempDir
    static Path dir;
    static E2ePki pki;
    static Path body;

    @BeforeAll
    static void setUp() throws Exception {
        pki = E2ePki.create(dir.resolve("pki"));
        body = Notifications.writeBody(dir);
    }


    @Test
    void proxyDownShouldAnswer503AtOnceAndLogWhy() throws Exception {
        int proxyPort = Ports.closed();
        try (LogCapture log = LogCapture.of("io.pushrelay.core.upstream");
             InJvmRelay relay = new InJvmRelay(pki, dir, String.join("\n",
                     "proxy:",
                     "  url: http://127.0.0.1:" + proxyPort,
                     "upstream:",
                     "  ca: " + pki.apnsCa(),
                     "routes:",
                     "  api.push.apple.com: api.push.apple.com:443"))) {
            for (int i = 0; i < 2; i++) {
                Senders.CurlAnswer a = Senders.curl(dir, pki.relayCa(), relay.port(), Notifications.token(i), "{}")
                        .assertNoDeviceRemovalReason();
                assertEquals(503, a.status(), a.output());
                assertEquals("{\"reason\":\"RelayProxyUnavailable\"}", a.body(), a.output());
                assertTrue(a.millis() < 3000, "answered after " + a.millis() + " ms");
            }
            String warnings = String.join("\n", log.messages(Level.WARN));
            assertTrue(warnings.contains("127.0.0.1:" + proxyPort), warnings);
            assertTrue(warnings.toLowerCase().contains("refused"), warnings);
            assertEquals(2, relay.accessLog().size());
            assertTrue(relay.accessLog().stream().allMatch(l -> l.contains(" 503 ") && l.contains(" PU ")),
                    relay.accessLog().toString());
        }
    }

    @Test
    void proxyAnswering407ShouldBeAnErrorAndALogLineSaying407() throws Exception {
        Path passwordFile = dir.resolve("proxy.password");
        Files.writeString(passwordFile, "not-the-password\n");
        try (H2TestServer upstream = H2TestServer.builder(pki.apnsCert(), pki.apnsKey()).start();
             Squid squid = Squid.builder().allowPorts(upstream.port()).basicAuth("relay", "the-password")
                     .directory(dir).start();
             LogCapture log = LogCapture.of("io.pushrelay.core");
             InJvmRelay relay = new InJvmRelay(pki, dir, String.join("\n",
                     "proxy:",
                     "  url: http://relay@127.0.0.1:" + squid.port(),
                     "  password-file: " + passwordFile,
                     "upstream:",
                     "  ca: " + pki.apnsCa(),
                     "routes:",
                     "  api.push.apple.com: api.push.apple.com:" + upstream.port()))) {
            Senders.CurlAnswer a = Senders.curl(dir, pki.relayCa(), relay.port(), Notifications.token(1), "{}")
                    .assertNoDeviceRemovalReason();
            assertEquals(502, a.status(), a.output());
            assertEquals("{\"reason\":\"RelayProxyRefused\"}", a.body(), a.output());
            String warnings = String.join("\n", log.messages(Level.WARN));
            assertTrue(warnings.contains("407"), warnings);
            assertTrue(!warnings.contains("not-the-password"), warnings);
            assertEquals(0, upstream.connections());
            squid.stop();
            assertTrue(squid.accessLog().stream().anyMatch(e -> e.isConnect() && e.status() == 407),
                    squid.accessLog().toString());
        }
    }

    @Test
    void untrustedUpstreamCertificateShouldBeAnErrorNamingTheHost() throws Exception {
        // The upstream's certificate is from the scenario's "Apple" CA, which this relay does not trust.
        try (H2TestServer upstream = H2TestServer.builder(pki.apnsCert(), pki.apnsKey()).start();
             LogCapture log = LogCapture.of("io.pushrelay.core");
             InJvmRelay relay = new InJvmRelay(pki, dir, String.join("\n",
                     "routes:",
                     "  api.push.apple.com: 127.0.0.1:" + upstream.port()))) {
            Senders.CurlAnswer a = Senders.curl(dir, pki.relayCa(), relay.port(), Notifications.token(1), "{}")
                    .assertNoDeviceRemovalReason();
            assertEquals(502, a.status(), a.output());
            assertEquals("{\"reason\":\"RelayUpstreamTlsFailed\"}", a.body(), a.output());
            String warnings = String.join("\n", log.messages(Level.WARN));
            assertTrue(warnings.contains("api.push.apple.com"), warnings);
            assertEquals(0, upstream.processed());
        }
    }

    @Test
    void upstreamTooSlowShouldAnswer504WithinTheRequestTimeout() throws Exception {
        try (H2TestServer upstream = H2TestServer.builder(pki.apnsCert(), pki.apnsKey())
                .answerDelay(Duration.ofSeconds(20)).start();
             InJvmRelay relay = new InJvmRelay(pki, dir, String.join("\n",
                     "upstream:",
                     "  ca: " + pki.apnsCa(),
                     "  request-timeout: 1s",
                     "routes:",
                     "  api.push.apple.com: 127.0.0.1:" + upstream.port()))) {
            Senders.CurlAnswer a = Senders.curl(dir, pki.relayCa(), relay.port(), Notifications.token(1), "{}")
                    .assertNoDeviceRemovalReason();
            assertEquals(504, a.status(), a.output());
            assertEquals("{\"reason\":\"RelayUpstreamTimeout\"}", a.body(), a.output());
            assertTrue(a.millis() >= 900 && a.millis() < 4000, "answered after " + a.millis() + " ms");
            assertEquals(1, upstream.processed());
        }
    }

    @Test
    void upstreamGoawaysAndRefusedStreamsDuringThousandsShouldLoseAndDuplicateNothing() throws Exception {
        int n = 2000;
        try (H2TestServer upstream = H2TestServer.builder(pki.apnsCert(), pki.apnsKey())
                .goAwayAfter(250).refuseEvery(25).start();
             InJvmRelay relay = new InJvmRelay(pki, dir, String.join("\n",
                     "upstream:",
                     "  ca: " + pki.apnsCa(),
                     "routes:",
                     "  api.push.apple.com: 127.0.0.1:" + upstream.port()))) {
            Senders.H2loadResult r = Senders.h2load(body, relay.port(), Notifications.token(3), n, 4, 50);
            assertEquals(n, r.done(), r.output());
            assertEquals(n, r.s2xx(), r.output());
            assertEquals(0, r.errored() + r.timeout(), r.output());
            // Delivered once each: every answer is a processed request, none processed twice.
            assertEquals(n, upstream.processed());
            // Each event loop of the relay has its own upstream connections; the last of each may stay below 250.
            assertTrue(upstream.goAwaysSent() >= 2, "GOAWAYs: " + upstream.goAwaysSent());
            assertTrue(upstream.refused() > 0);
            assertEquals(Map.of("200 -", (long) n), PromText.requestsByStatus(relay.metrics()));
            assertEquals(n, relay.accessLog().size());
        }
    }

    @Test
    void upstreamDroppingConnectionsDuringThousandsShouldAnswerEveryRequestOnce() throws Exception {
        int n = 2000;
        try (H2TestServer upstream = H2TestServer.builder(pki.apnsCert(), pki.apnsKey()).dropAfter(300).start();
             InJvmRelay relay = new InJvmRelay(pki, dir, String.join("\n",
                     "upstream:",
                     "  ca: " + pki.apnsCa(),
                     "routes:",
                     "  api.push.apple.com: 127.0.0.1:" + upstream.port()))) {
            Senders.H2loadResult r = Senders.h2load(body, relay.port(), Notifications.token(4), n, 4, 50);
            assertEquals(n, r.done(), r.output());
            assertEquals(n, r.s2xx() + r.s5xx(), r.output());
            assertEquals(0, r.errored() + r.timeout(), r.output());
            assertTrue(upstream.drops() >= 1, "drops: " + upstream.drops());
            assertTrue(r.s5xx() >= upstream.drops(), r.output());
            // What was answered 200 was processed; what was processed at most once (no blind retries).
            assertTrue(r.s2xx() <= upstream.processed() && upstream.processed() <= n,
                    r.output() + "\nprocessed " + upstream.processed());
            Map<String, Long> byStatus = PromText.requestsByStatus(relay.metrics());
            assertEquals(r.s2xx(), byStatus.get("200 -"), byStatus.toString());
            assertEquals(r.s5xx(), byStatus.get("502 UR"), byStatus.toString());
            assertEquals(2, byStatus.size(), byStatus.toString());
            assertEquals(n, relay.accessLog().size());
        }
    }
}
