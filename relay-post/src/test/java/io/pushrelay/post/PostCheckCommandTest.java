package io.pushrelay.post;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.sim.ApnsSimConfig;
import io.pushrelay.core.sim.ApnsSimulator;
import io.pushrelay.core.sim.ServerIdentity;
import io.pushrelay.core.testing.Ports;
import io.pushrelay.core.testing.TestPki;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code push-relay post check}: healthy against a real upstream, then one broken step at a time. */
class PostCheckCommandTest {
    @TempDir
    Path dir;

    private int run(StringWriter out, String... args) {
        return PostCommand.run(new PrintWriter(out, true), new PrintWriter(out, true), args);
    }

    @Test
    void healthySetupShouldPassEveryStepAndBrokenOnesShouldSayHowToFix() throws Exception {
        TestPki upstreamPki = TestPki.create(dir.resolve("up"), "upstream CA");
        TestPki.LeafFiles upstream = upstreamPki.server("upstream", "api.push.apple.com");
        TestPki relayPki = TestPki.create(dir.resolve("relay"), "relay CA");
        TestPki.LeafFiles relay = relayPki.server("post", "api.push.apple.com");
        TestPki.LeafFiles other = relayPki.server("other", "api.push.apple.com");
        try (ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress up = sim.start(ApnsSimConfig.builder(
                    ServerIdentity.fromPem(upstream.chain(), upstream.key())).build());
            String[] healthy = {"check", "--listen", "127.0.0.1:" + Ports.closed(), "--admin-listen", "127.0.0.1:" + Ports.closed(),
                "--cert", relay.chain().toString(), "--key", relay.key().toString(),
                "--upstream-ca", upstreamPki.caPem().toString(), "--route", "api.push.apple.com=127.0.0.1:" + up.getPort()};
            StringWriter out = new StringWriter();
            assertEquals(0, run(out, healthy), out.toString());
            assertTrue(out.toString().contains("check: all"), out.toString());
            assertTrue(out.toString().contains("✔ ALPN"), out.toString());

            // The key of another certificate.
            String[] wrongKey = healthy.clone();
            wrongKey[8] = other.key().toString();
            out = new StringWriter();
            assertEquals(1, run(out, wrongKey), out.toString());
            assertTrue(out.toString().contains("✘ certificate"), out.toString());
            assertTrue(out.toString().contains("fix:"), out.toString());

            // Upstream certificate from a CA the relay does not trust.
            String[] untrusted = healthy.clone();
            untrusted[10] = relayPki.caPem().toString();
            out = new StringWriter();
            assertEquals(1, run(out, untrusted), out.toString());
            assertTrue(out.toString().contains("✘ upstream TLS"), out.toString());
        }
        // A config that does not load: exit 2 with the file, line and key.
        Path bad = dir.resolve("post.yaml");
        Files.writeString(bad, "listen: 127.0.0.1:8443\nlimits:\n  max-conections: 5\n");
        StringWriter out = new StringWriter();
        assertEquals(2, run(out, "check", "--config", bad.toString()), out.toString());
        assertTrue(out.toString().contains("post.yaml:3"), out.toString());
    }

}
