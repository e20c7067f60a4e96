package io.pushrelay.post;

import static io.pushrelay.post.PostTestbed.APNS;
import static io.pushrelay.post.PostTestbed.TOKEN;
import static io.pushrelay.post.PostTestbed.TOPIC;
import static io.pushrelay.post.PostTestbed.curl;
import static io.pushrelay.post.PostTestbed.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.testing.ExternalProcess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code push-relay post}: help, version, flags over the config file, config and usage errors
 * in-process (nothing binds); and the real command in its own JVM (its {@code main}): the
 * {@code listening on} line, a request through it, SIGHUP reloading routes from the file,
 * SIGTERM draining to exit 0.
 */
class PostCommandTest {
    private static final Pattern LISTENING = Pattern.compile("relay-post listening on 127\\.0\\.0\\.1:(\\d+) \\(");

    @TempDir
    static Path dir;
    static PostTestbed bed;

    @BeforeAll
    static void setUp() throws Exception {
        bed = new PostTestbed(dir);
    }

    @AfterAll
    static void tearDown() throws Exception {
        bed.close();
    }

    /** Exit code, stdout, stderr of an in-process run. */
    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = PostCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpShouldStartWithExamplesAndListExitCodes() {
        Run r = run("--help");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertTrue(lines.get(0).startsWith("Run the post-proxy relay"), r.out());
        assertEquals("Examples:", lines.get(2), r.out());
        assertTrue(lines.get(3).startsWith("  push-relay post --config "), r.out());
        for (String flag : List.of("--config", "--listen", "--cert", "--key", "--client-ca", "--allow-client",
                "--allow-source", "--route", "--upstream-ca", "--proxy", "--plaintext", "--admin-listen", "--fcm",
                "--drain-timeout", "--log-format", "--access-log", "--print-config", "--verbose", "--version")) {
            assertTrue(r.out().contains(flag), flag + " missing from\n" + r.out());
        }
        assertTrue(r.out().contains("2   usage or config error"), r.out());
    }

    @Test
    void versionShouldNameTheRole() {
        Run r = run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("push-relay ") && r.out().trim().endsWith("(relay-post)"), r.out());
    }

    @Test
    void flagsShouldOverrideTheConfigFile() throws Exception {
        Path config = bed.file("override.yaml", String.join("\n",
                "listen: 127.0.0.1:9000",
                "tls:",
                "  cert: " + bed.relayCert.chain(),
                "  key: " + bed.relayCert.key(),
                "allow-sources: [192.168.0.0/16]",
                "proxy:",
                "  url: http://relay:s3cret@egress.example:3128",
                ""));
        Run r = run("--config", config.toString(), "--listen", "127.0.0.1:9001", "--allow-source", "10.1.2.3",
                "--allow-source", "10.9.0.0/16", "--client-ca", bed.pki.caPem().toString(), "--allow-client",
                "legacy-proxy", "--route", APNS + "=10.9.9.9:443", "--fcm", "--admin-listen", "127.0.0.1:9903",
                "--drain-timeout", "7s", "--log-format", "json", "--access-log", "off", "--print-config");
        assertEquals(0, r.code(), r.err());
        String yaml = r.out();
        assertTrue(yaml.contains("listen: 127.0.0.1:9001"), yaml);
        assertTrue(yaml.contains("- 10.1.2.3/32\n") && yaml.contains("- 10.9.0.0/16\n"), yaml);
        assertFalse(yaml.contains("192.168.0.0/16"), "a repeatable flag replaces the list: " + yaml);
        assertTrue(yaml.contains("- legacy-proxy"), yaml);
        assertTrue(yaml.contains(APNS + ": 10.9.9.9:443"), yaml);
        assertTrue(yaml.contains("fcm.googleapis.com: fcm.googleapis.com:443"), yaml);
        assertTrue(yaml.contains("127.0.0.1:9903"), yaml);
        assertTrue(yaml.contains("drain-timeout: 7s"), yaml);
        assertTrue(yaml.contains("format: json") && yaml.contains("access-log: \"off\""), yaml);
        assertFalse(yaml.contains("s3cret"), "passwords redacted: " + yaml);
    }

    @Test
    void configErrorShouldNameFileLineAndKeyAndExit2() {
        Path config = bed.file("bad.yaml", String.join("\n",
                "plaintext: true",
                "limits:",
                "  max-connections: 0",
                ""));
        Run r = run("--config", config.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("ERROR: config " + config + ":3: limits.max-connections: "), r.err());
        Run flag = run("--plaintext", "--allow-client", "legacy-proxy");
        assertEquals(2, flag.code());
        assertTrue(flag.err().startsWith("ERROR: config flag --allow-client: allow-clients: needs client-ca"),
                flag.err());
    }

    @Test
    void usageErrorsShouldExit2AndNameTheFlag() {
        Run unknown = run("--lisen", "127.0.0.1:1");
        assertEquals(2, unknown.code());
        assertTrue(unknown.err().startsWith("ERROR: push-relay post: Unknown option"), unknown.err());
        assertTrue(unknown.err().contains("'--lisen'"), unknown.err());
        Run route = run("--plaintext", "--route", "api.push.apple.com");
        assertEquals(2, route.code());
        assertTrue(route.err().contains("flag --route: routes: expected AUTHORITY=HOST:PORT"), route.err());
        Run noTls = run();
        assertEquals(2, noTls.code());
        assertTrue(noTls.err().startsWith("ERROR: config command line: tls: required"), noTls.err());
    }

    @Test
    void certificateThatCannotBeLoadedShouldExit1() {
        Run r = run("--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--cert",
                dir.resolve("missing.pem").toString(), "--key", bed.relayCert.key().toString());
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.err().startsWith("ERROR: start relay-post: tls: cannot load certificate "), r.err());
    }

    @Test
    void theCommandShouldServeReloadOnSighupAndDrainOnSigterm() throws Exception {
        String route = "127.0.0.1:" + bed.mockPort;
        Path config = bed.file("post.yaml", yaml(route, false));
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                PostCommand.class.getName(), "--config", config.toString()));
        try (ExternalProcess relay = ExternalProcess.start("relay-post", dir.resolve("relay-post.log"), Map.of(),
                command)) {
            relay.awaitOutput("relay-post listening on", Duration.ofSeconds(60));
            Matcher m = LISTENING.matcher(relay.output());
            assertTrue(m.find(), relay.output());
            int port = Integer.parseInt(m.group(1));
            assertEquals("STATUS 200 1.1", last(send(port, APNS)), relay.output());
            assertEquals("STATUS 403 1.1", last(send(port, "api.sandbox.push.apple.com")));

            Files.writeString(config, yaml(route, true));
            ExternalProcess.Result hup = ExternalProcess.run(Duration.ofSeconds(5), Map.of(),
                    List.of("kill", "-HUP", Long.toString(relay.pid())));
            assertEquals(0, hup.exitCode(), hup.output());
            relay.awaitOutput("reloaded: routes", Duration.ofSeconds(20));
            assertEquals("STATUS 200 1.1", last(send(port, "api.sandbox.push.apple.com")), relay.output());

            assertEquals(0, relay.terminate(Duration.ofSeconds(30)), relay.output());
            assertTrue(relay.output().contains("relay-post: SIGTERM: draining"), relay.output());
            assertTrue(relay.output().contains("relay-post: stopped"), relay.output());
        }
    }

    private static String yaml(String route, boolean sandbox) {
        return String.join("\n",
                "listen: 127.0.0.1:0",
                "tls:",
                "  cert: " + bed.relayCert.chain(),
                "  key: " + bed.relayCert.key(),
                "routes:",
                "  " + APNS + ": " + route,
                sandbox ? "  api.sandbox.push.apple.com: " + route : "",
                "upstream:",
                "  ca: " + bed.pki.caPem(),
                "admin:",
                "  listen: 127.0.0.1:0",
                "");
    }

    private static ExternalProcess.Result send(int port, String host) {
        return curl("--http1.1", "--proxy", "https://127.0.0.1:" + port, "--proxy-cacert", bed.pki.caPem().toString(),
                "-H", "apns-topic: " + TOPIC, "-H", "authorization: " + bed.authorization, "--data-binary", payload(),
                "http://" + host + "/3/device/" + TOKEN);
    }

    private static String last(ExternalProcess.Result r) {
        List<String> lines = r.output().lines().toList();
        return lines.get(lines.size() - 1);
    }
}
