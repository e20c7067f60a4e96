package io.pushrelay.pre;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.check.CheckFixture;
import io.pushrelay.core.testing.ExternalProcess;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code push-relay pre check}: the flags of {@code pre} carried into the check, exit codes 0/1/2,
 * and, in a separate JVM whose resolver reads a hosts file of the test's own
 * ({@code -Djdk.net.hosts.file}), the resolve step seeing what a push service would.
 */
class PreCheckCommandTest {
    @TempDir
    static Path dir;
    static CheckFixture f;

    @BeforeAll
    static void start() {
        f = CheckFixture.start(dir);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    record Run(int exit, String out, String err) {
    }

    static Run pre(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = PreCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** The healthy setup as flags of {@code pre} (no config file). */
    static List<String> healthyFlags() {
        List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                "--cert", f.relayCert.chain().toString(), "--key", f.relayCert.key().toString(),
                "--proxy", "http://127.0.0.1:" + f.proxyPort, "--upstream-ca", f.upstream.caPem().toString(),
                "--trust-bundle", f.trustBundle.toString()));
        for (String name : CheckFixture.NAMES) {
            args.addAll(List.of("--route", name + "=" + name + ":" + f.apnsPort));
        }
        return args;
    }

    @Test
    void checkShouldTakeEveryFlagOfPreAndPassOnAHealthySetup() {
        List<String> args = new ArrayList<>(List.of("check", "--skip", "resolve"));
        args.addAll(healthyFlags());
        Run r = pre(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().startsWith("✔ config (flags only) valid (relay-pre, 2 routes, proxy http://127.0.0.1:" + f.proxyPort
                + ")\n"), r.out());
        assertTrue(r.out().contains("\n✔ ALPN api.sandbox.push.apple.com: h2\n"), r.out());
        assertTrue(r.out().endsWith("check: all 15 passed, 1 skipped\n"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void flagsBeforeCheckShouldCountToo() {
        List<String> args = new ArrayList<>(healthyFlags());
        args.removeAll(List.of("--trust-bundle", f.trustBundle.toString()));
        args.addAll(List.of("check", "--skip", "resolve,network", "--trust-bundle", f.trustBundle.toString()));
        Run r = pre(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("✔ certificate " + f.relayCert.chain() + " covers api.push.apple.com,"), r.out());
    }

    @Test
    void sendTestFromTheCommandLineShouldPrintTheAnswer() {
        List<String> args = new ArrayList<>(List.of("check", "--skip", "resolve", "--send-test", "--token",
                CheckFixture.GOOD_TOKEN, "--topic", CheckFixture.TOPIC, "--jwt-key", f.signingKey.toString(),
                "--key-id", CheckFixture.KEY_ID, "--team-id", CheckFixture.TEAM));
        args.addAll(healthyFlags());
        Run r = pre(args.toArray(String[]::new));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("\n✔ send-test api.push.apple.com: 200, apns-id "), r.out());
        assertFalse(r.out().contains(CheckFixture.GOOD_TOKEN));
    }

    @Test
    void configThatDoesNotLoadShouldExit2WithItsLine() throws IOException {
        Path config = dir.resolve("typo.yaml");
        Files.writeString(config, "listen: 127.0.0.1:0\nlisten-admin: 127.0.0.1:0\n", StandardCharsets.UTF_8);
        Run r = pre("check", "--config", config.toString());
        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("✘ config " + config + ":2: listen-admin: unknown key; "), r.out());
        assertTrue(r.out().contains("✘ config " + config + ": tls: required: "), r.out());
        assertTrue(r.out().contains(" — fix: set tls in " + config + " (or give its flag)\n"), r.out());
        assertTrue(r.out().contains(" — fix: edit " + config + " line 2 (listen-admin)"), r.out());
        assertTrue(r.out().contains("nothing else checked until the config loads"), r.out());
    }

    @Test
    void usageErrorsShouldExit2NamingTheFlag() {
        Run r = pre("check", "--token", "abcd");
        assertEquals(2, r.exit());
        assertEquals("ERROR: check: --token, --topic, --authority, --push-type, --payload, --authorization-file, --jwt-key,"
                + " --key-id and --team-id only go with --send-test", r.err().strip());
        Run skip = pre("check", "--skip", "everything");
        assertEquals(2, skip.exit());
        assertTrue(skip.err().contains("cannot skip 'everything' (one of: files, certificate, listen, resolve, trust, network)"),
                skip.err());
        Run unknown = pre("check", "--no-such-flag");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().startsWith("ERROR: push-relay pre: Unknown option: '--no-such-flag'"), unknown.err());
    }

    @Test
    void helpShouldStartWithExamplesAndListTheFlagsOfPre() {
        Run r = pre("check", "--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("Examples:\n  push-relay pre check --config /etc/push-relay/pre.yaml"), r.out());
        for (String flag : List.of("--config", "--proxy", "--route", "--upstream-ca", "--skip", "--send-test", "--jwt-key")) {
            assertTrue(r.out().contains(flag), flag + " in:\n" + r.out());
        }
        assertFalse(r.out().contains("--trust-bundle"), "hidden");
        assertTrue(pre("--help").out().contains("push-relay pre check --config"));
        Run version = pre("check", "--version");
        assertTrue(version.out().contains("(relay-pre)"), version.out());
    }

    @Test
    void resolveStepShouldSeeTheHostsFileAsThePushServiceWould() throws IOException {
        Path hosts = dir.resolve("hosts");
        Files.writeString(hosts, "127.0.0.1 localhost\n127.0.0.1 api.push.apple.com api.sandbox.push.apple.com\n");
        ExternalProcess.Result ok = checkInJvm(hosts);
        assertEquals(0, ok.exitCode(), ok.output());
        assertTrue(ok.output().contains("✔ resolve api.push.apple.com -> 127.0.0.1 (this relay)"), ok.output());
        assertTrue(ok.output().contains("✔ resolve api.sandbox.push.apple.com -> 127.0.0.1 (this relay)"), ok.output());

        Files.writeString(hosts, "127.0.0.1 localhost\n127.0.0.1 api.push.apple.com\n17.253.144.10 api.sandbox.push.apple.com\n");
        ExternalProcess.Result bypassed = checkInJvm(hosts);
        assertEquals(1, bypassed.exitCode(), bypassed.output());
        assertTrue(bypassed.output().contains("✘ resolve api.sandbox.push.apple.com -> 17.253.144.10 (17.253.144.10: not this"
                + " relay's listen address 127.0.0.1; the push service would bypass the relay) — fix: on the push service's"
                + " host: scripts/hosts-redirect.sh add 127.0.0.1 api.push.apple.com api.sandbox.push.apple.com"),
                bypassed.output());
    }

    /** {@code push-relay pre check} in a JVM whose resolver reads {@code hosts} only; stdout and stderr merged. */
    private static ExternalProcess.Result checkInJvm(Path hosts) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djdk.net.hosts.file=" + hosts, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), PreCommand.class.getName(), "check"));
        command.addAll(healthyFlags());
        return ExternalProcess.run(Duration.ofSeconds(60), Map.of(), command);
    }
}
