package io.pushrelay.pre.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.H2TestServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code push-relay pre} as a process ({@code java -cp <test class path> io.pushrelay.pre.PreCommand}):
 * it serves and says where, writes one access-log line per request on stdout (device token
 * masked, no {@code authorization}, no payload), exits 0 on SIGTERM; config errors exit 2 naming
 * file, line and key; {@code --print-config} hides the proxy password; help and version.
 */
class PreCommandTest {
    static final String PAYLOAD_MARK = "PAYLOAD-SECRET-7f3a";

    @TempDir
    static Path dir;
    static E2ePki pki;

    @BeforeAll
    static void pki() {
        pki = E2ePki.create(dir.resolve("pki"));
    }

    static ExternalProcess.Result pre(String... args) {
        return ExternalProcess.run(Duration.ofSeconds(30), Map.of(), RelayProcess.command("paranoid", List.of(args)));
    }

    @Test
    void shouldServeLogOneMaskedLinePerRequestAndExitZeroOnSigterm() throws Exception {
        try (H2TestServer upstream = H2TestServer.builder(pki.apnsCert(), pki.apnsKey()).start();
             RelayProcess relay = RelayProcess.start(dir, "access-log", List.of("--listen", "127.0.0.1:0",
                     "--admin-listen", "127.0.0.1:0", "--cert", pki.relayCert().toString(),
                     "--key", pki.relayKey().toString(), "--upstream-ca", pki.apnsCa().toString(),
                     "--route", "api.push.apple.com=127.0.0.1:" + upstream.port(), "--access-log", "stdout"))) {
            assertTrue(relay.stdout().startsWith("relay-pre listening on 127.0.0.1:" + relay.port() + " (admin 127.0.0.1:"),
                    relay.stdout());
            String token = Notifications.token(5);
            String payload = "{\"aps\":{\"alert\":\"" + PAYLOAD_MARK + "\"}}";
            Senders.CurlAnswer ok = Senders.curl(dir, pki.relayCa(), relay.port(), token, payload);
            assertEquals(200, ok.status(), ok.output());
            Senders.CurlAnswer misdirected = Senders.curl(dir, pki.relayCa(), relay.port(), token, payload,
                    "-H", "Host: push.example.com");
            assertEquals(421, misdirected.status(), misdirected.output());
            Senders.CurlAnswer tooLarge = Senders.curl(dir, pki.relayCa(), relay.port(), token,
                    "{\"a\":\"" + PAYLOAD_MARK + "x".repeat(6000) + "\"}");
            assertEquals(413, tooLarge.status(), tooLarge.output());
            assertEquals(1, upstream.processed());

            assertEquals(0, relay.terminate(Duration.ofSeconds(20)), relay.stderr());
            List<String> lines = relay.stdout().lines().filter(l -> !l.isBlank()).toList();
            assertEquals(4, lines.size(), relay.stdout());
            List<String> access = lines.subList(1, 4);
            String masked = "/3/device/" + token.substring(0, 6) + "\u2026";
            assertTrue(access.get(0).matches("\\S+Z 127\\.0\\.0\\.1:\\d+ api\\.push\\.apple\\.com:\\d+ POST "
                    + java.util.regex.Pattern.quote(masked) + " 200 \\S+ \\S+ - \\d+ms"), access.get(0));
            assertTrue(access.get(1).matches("\\S+Z 127\\.0\\.0\\.1:\\d+ push\\.example\\.com POST "
                    + java.util.regex.Pattern.quote(masked) + " 421 - - NR \\d+ms"), access.get(1));
            assertTrue(access.get(2).matches("\\S+Z 127\\.0\\.0\\.1:\\d+ api\\.push\\.apple\\.com:\\d+ POST "
                    + java.util.regex.Pattern.quote(masked) + " 413 - - BL \\d+ms"), access.get(2));
            for (String output : List.of(relay.stdout(), relay.stderr())) {
                assertFalse(output.contains(token.substring(6, 20)), output);
                assertFalse(output.contains(PAYLOAD_MARK), output);
                assertFalse(output.toLowerCase().contains("bearer"), output);
                assertFalse(output.contains(Senders.FAKE_JWT.substring(0, 20)), output);
            }
            assertTrue(relay.stderr().contains("relay-pre: SIGTERM: draining"), relay.stderr());
            assertTrue(relay.stderr().contains("relay-pre: stopped"), relay.stderr());
            assertEquals(List.of(), relay.leaks());
        }
    }

    @Test
    void sighupShouldSayWhatNeedsARestartAndKeepServingWhenTheNewCertificateIsBroken() throws Exception {
        Path tls = Files.createDirectories(dir.resolve("hup-tls"));
        Files.copy(pki.relayCert(), tls.resolve("relay.pem"));
        Files.copy(pki.relayKey(), tls.resolve("relay.key"));
        try (H2TestServer upstream = H2TestServer.builder(pki.apnsCert(), pki.apnsKey()).start()) {
            Path config = dir.resolve("hup.yaml");
            String base = String.join("\n",
                    "listen: 127.0.0.1:0",
                    "tls:",
                    "  cert: hup-tls/relay.pem",
                    "  key: hup-tls/relay.key",
                    "routes:",
                    "  api.push.apple.com: 127.0.0.1:" + upstream.port(),
                    "admin:",
                    "  listen: 127.0.0.1:0",
                    "log:",
                    "  access-log: \"off\"",
                    "upstream:",
                    "  ca: " + pki.apnsCa(),
                    "");
            Files.writeString(config, base);
            try (RelayProcess relay = RelayProcess.start(dir, "hup", List.of("--config", config.toString()))) {
                Files.writeString(config, base + "  request-timeout: 3s\nlimits:\n  max-connections: 5\n");
                relay.hangUp();
                awaitStderr(relay, "certificates reloaded");
                awaitStderr(relay, "reload: upstream, limits changed; restart relay-pre to apply");

                Files.writeString(tls.resolve("relay.pem"), "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n");
                relay.hangUp();
                awaitStderr(relay, "ERROR: reload: ");
                assertTrue(relay.stderr().contains("(kept the running config)"), relay.stderr());
                Senders.CurlAnswer a = Senders.curl(dir, pki.relayCa(), relay.port(), Notifications.token(1), "{}");
                assertEquals(200, a.status(), a.output());
                assertTrue(relay.isAlive());
                assertEquals(0, relay.terminate(Duration.ofSeconds(20)), relay.stderr());
                assertEquals(List.of(), relay.leaks());
            }
        }
    }

    static void awaitStderr(RelayProcess relay, String text) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!relay.stderr().contains(text)) {
            assertTrue(System.nanoTime() < deadline, "no '" + text + "' in:\n" + relay.stderr());
            Thread.sleep(20);
        }
    }

    @Test
    void configErrorsShouldExit2NamingFileLineAndKey() throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, String.join("\n",
                "listen: 127.0.0.1:0",
                "tls:",
                "  cert: " + pki.relayCert(),
                "  key: " + pki.relayKey(),
                "admin:",
                "  listen: 127.0.0.1:notaport",
                "upstream:",
                "  request-timout: 5s",
                ""));
        ExternalProcess.Result r = pre("--config", config.toString());
        assertEquals(2, r.exitCode(), r.output());
        assertTrue(r.output().contains("ERROR: config " + config + ":6: admin.listen: "), r.output());
        assertTrue(r.output().contains("ERROR: config " + config + ":8: upstream.request-timout: unknown key"),
                r.output());
        assertFalse(r.output().contains("\tat "), "no stack trace:\n" + r.output());

        ExternalProcess.Result missing = pre("--config", dir.resolve("absent.yaml").toString());
        assertEquals(2, missing.exitCode(), missing.output());
        assertTrue(missing.output().startsWith("ERROR: config "), missing.output());

        ExternalProcess.Result flag = pre("--no-such-flag");
        assertEquals(2, flag.exitCode(), flag.output());
        assertTrue(flag.output().contains("ERROR: push-relay pre: Unknown option: '--no-such-flag'"), flag.output());
    }

    @Test
    void printConfigShouldRedactTheProxyPassword() throws Exception {
        Path config = dir.resolve("proxy.yaml");
        Files.writeString(config, String.join("\n",
                "tls:",
                "  cert: " + pki.relayCert(),
                "  key: " + pki.relayKey(),
                "proxy:",
                "  url: http://relay:s3cret-in-file@proxy.corp.example:3128",
                ""));
        ExternalProcess.Result fromFile = pre("--config", config.toString(), "--print-config");
        assertEquals(0, fromFile.exitCode(), fromFile.output());
        assertTrue(fromFile.output().contains("url: http://relay:REDACTED@proxy.corp.example:3128"), fromFile.output());
        assertFalse(fromFile.output().contains("s3cret"), fromFile.output());

        ExternalProcess.Result fromFlag = pre("--config", config.toString(), "--proxy",
                "http://bob:hunter2@proxy.example:8080", "--print-config");
        assertEquals(0, fromFlag.exitCode(), fromFlag.output());
        assertTrue(fromFlag.output().contains("url: http://bob:REDACTED@proxy.example:8080"), fromFlag.output());
        assertFalse(fromFlag.output().contains("hunter2"), fromFlag.output());
        assertFalse(fromFlag.output().contains("s3cret"), fromFlag.output());
    }

    @Test
    void helpAndVersionShouldExit0() {
        ExternalProcess.Result help = pre("--help");
        assertEquals(0, help.exitCode(), help.output());
        assertTrue(help.output().startsWith("Run the pre-proxy relay"), help.output());
        assertTrue(help.output().contains("Examples:"), help.output());
        assertTrue(help.output().contains("Usage: push-relay pre"), help.output());
        assertTrue(help.output().contains("2   usage or config error"), help.output());
        ExternalProcess.Result version = pre("--version");
        assertEquals(0, version.exitCode(), version.output());
        assertTrue(version.output().trim().matches("push-relay \\S+ \\(relay-pre\\)"), version.output());
    }

    @Test
    void aListenAddressInUseShouldExit1WithoutAStackTrace() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:" + taken.getLocalPort(),
                    "--admin-listen", "127.0.0.1:0", "--cert", pki.relayCert().toString(),
                    "--key", pki.relayKey().toString()));
            ExternalProcess.Result r = pre(args.toArray(String[]::new));
            assertEquals(1, r.exitCode(), r.output());
            assertTrue(r.output().contains("ERROR: start relay-pre: "), r.output());
            assertTrue(r.output().contains(Integer.toString(taken.getLocalPort())), r.output());
            assertFalse(r.output().contains("\tat "), "no stack trace:\n" + r.output());
            assertFalse(r.output().contains("relay-pre listening on"), r.output());
        }
    }
}
