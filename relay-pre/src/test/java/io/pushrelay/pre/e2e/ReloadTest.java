package io.pushrelay.pre.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.pushrelay.core.config.ConfigLoader;
import io.pushrelay.core.config.PreConfig;
import io.pushrelay.core.testing.H2TestServer;
import io.pushrelay.core.testing.LogCapture;
import io.pushrelay.core.testing.TestPki;
import io.pushrelay.pre.PreRelay;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link PreRelay#reload} in this JVM: certificates from another file and new routes apply at
 * once (curl sees both), the certificate-expiry metric follows the new file, and what only a
 * restart can change is named in a warning.
 */
class ReloadTest {
    @TempDir
    Path dir;

    @Test
    void reloadShouldApplyCertificatesAndRoutesAndNameWhatNeedsARestart() throws Exception {
        E2ePki pki = E2ePki.create(dir.resolve("pki"));
        TestPki other = TestPki.create(dir.resolve("other"), "another downstream CA");
        TestPki.LeafFiles otherCert = other.server("relay2", E2ePki.APNS_HOST);
        try (H2TestServer upstream = H2TestServer.builder(pki.apnsCert(), pki.apnsKey()).start();
             LogCapture log = LogCapture.of(PreRelay.class, Level.INFO);
             InJvmRelay relay = new InJvmRelay(pki, dir, String.join("\n",
                     "upstream:",
                     "  ca: " + pki.apnsCa(),
                     "routes:",
                     "  api.push.apple.com: 127.0.0.1:" + upstream.port()))) {
            assertEquals(200, Senders.curl(dir, pki.relayCa(), relay.port(), Notifications.token(1), "{}").status());
            assertTrue(relay.metrics().contains("file=\"" + pki.relayCert() + "\""), relay.metrics());

            PreConfig next = ConfigLoader.parse(String.join("\n",
                    "listen: 127.0.0.1:0",
                    "admin:",
                    "  listen: 127.0.0.1:0",
                    "tls:",
                    "  cert: " + otherCert.chain(),
                    "  key: " + otherCert.key(),
                    "upstream:",
                    "  ca: " + pki.apnsCa(),
                    "  request-timeout: 2s",
                    "routes:",
                    "  api.sandbox.push.apple.com: 127.0.0.1:" + upstream.port()), "next", dir, PreConfig.class);
            relay.relay.reload(next);

            // The old CA no longer verifies; the new one does; the old route is gone.
            Senders.CurlAnswer oldCa = Senders.curl(dir, pki.relayCa(), relay.port(), Notifications.token(1), "{}");
            assertEquals(60, oldCa.exitCode(), oldCa.output()); // curl: peer certificate cannot be authenticated
            Senders.CurlAnswer gone = Senders.curl(dir, other.caPem(), relay.port(), Notifications.token(1), "{}")
                    .assertNoDeviceRemovalReason();
            assertEquals(421, gone.status(), gone.output());
            Senders.CurlAnswer added = Senders.curl(dir, other.caPem(), relay.port(), Notifications.token(1), "{}",
                    "-H", "Host: api.sandbox.push.apple.com");
            assertEquals(200, added.status(), added.output());
            String metrics = relay.metrics();
            assertTrue(metrics.contains("file=\"" + otherCert.chain() + "\""), metrics);
            assertFalse(metrics.contains("file=\"" + pki.relayCert() + "\""), metrics);
            String warnings = String.join("\n", log.messages(Level.WARN));
            assertTrue(warnings.contains("reload: upstream changed; restart relay-pre to apply"), warnings);
            assertEquals(2, upstream.processed());
        }
    }
}
