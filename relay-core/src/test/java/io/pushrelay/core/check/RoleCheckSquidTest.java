package io.pushrelay.core.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.testing.Ports;
import io.pushrelay.core.testing.Squid;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The network steps through a real Squid as the corporate proxy (Basic auth, CONNECT only to the
 * APNS simulator's port): all ✔ with the right password; 407 with a wrong one; 403 for a port its
 * policy does not allow. Squid's own access log confirms the CONNECTs the check made.
 */
class RoleCheckSquidTest {
    @TempDir
    Path dir;

    @Test
    void checkThroughSquidShouldPassThenNameTheRefusals() throws Exception {
        try (CheckFixture f = CheckFixture.start(dir.resolve("fixture"));
             Squid squid = Squid.builder().allowPorts(f.apnsPort).basicAuth("relay", "s3cret").directory(dir).start()) {
            Path right = CheckFixture.secret(dir.resolve("right.password"), "s3cret\n".getBytes());
            CheckFixture.Setup s = f.healthy();
            s.proxy = "http://relay@127.0.0.1:" + squid.port();
            s.proxyPasswordFile = right;
            CheckFixture.Result ok = s.check();
            assertEquals(0, ok.report().exitCode(), ok.output());
            ok.line("✔ proxy http://relay@127.0.0.1:" + squid.port() + " reachable");
            ok.line("✔ CONNECT api.sandbox.push.apple.com:" + f.apnsPort + " via 127.0.0.1:" + squid.port() + " allowed");
            ok.line("✔ ALPN api.push.apple.com: h2");

            s.proxyPasswordFile = CheckFixture.secret(dir.resolve("wrong.password"), "guess\n".getBytes());
            CheckFixture.Result denied = s.check();
            assertEquals(2, denied.report().failures().size(), denied.output());
            denied.line("✘ CONNECT api.push.apple.com:" + f.apnsPort + " via 127.0.0.1:" + squid.port()
                    + " refused: status 407 — fix: the proxy refused user relay: check the password in proxy.password-file");

            s.proxyPasswordFile = right;
            int otherPort = Ports.closed();
            s.routes.put("api.sandbox.push.apple.com", "api.sandbox.push.apple.com:" + otherPort);
            CheckFixture.Result forbidden = s.check();
            forbidden.onlyFailure("✘ CONNECT api.sandbox.push.apple.com:" + otherPort + " via 127.0.0.1:" + squid.port()
                    + " refused: status 403 — fix: the proxy's policy forbids CONNECT to api.sandbox.push.apple.com:" + otherPort);

            squid.stop();
            List<Squid.AccessLogEntry> log = squid.accessLog();
            assertTrue(log.stream().anyMatch(e -> e.isConnect() && e.status() == 200 && e.user().equals("relay")
                    && e.url().equals("api.sandbox.push.apple.com:" + f.apnsPort)), log.toString());
            assertTrue(log.stream().anyMatch(e -> e.isConnect() && e.status() == 407), log.toString());
            assertTrue(log.stream().anyMatch(e -> e.isConnect() && e.status() == 403
                    && e.url().equals("api.sandbox.push.apple.com:" + otherPort)), log.toString());
        }
    }
}
