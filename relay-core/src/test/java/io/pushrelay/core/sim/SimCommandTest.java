package io.pushrelay.core.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.testing.ExternalProcess;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code push-relay sim ...}: as a separate JVM (curl as the client, SIGTERM to stop), and in-process for usage. */
class SimCommandTest {
    private static final String HOST = "api.push.apple.com";

    @TempDir
    static Path dir;
    static SimFixtures.Pki pki;

    @BeforeAll
    static void setUp() {
        pki = SimFixtures.pki(dir.resolve("pki"));
    }

    /**
     * {@code java -cp <this JVM's class path> io.pushrelay.core.sim.SimCommand ARGS}; C1 only, which
     * halves the start-up on two cores shared with the test JVM.
     */
    private static ExternalProcess startSim(String name, String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                SimCommand.class.getName()));
        command.addAll(List.of(args));
        return ExternalProcess.start(name, dir.resolve(name + ".log"), Map.of(), command);
    }

    private static int listeningPort(ExternalProcess process, String simulator) {
        // The log line (from the simulator's logger) can come before the command's own stdout
        // line, which is the one that counts: wait for that one.
        Pattern line = Pattern.compile("(?m)^" + simulator + " simulator listening on 127\\.0\\.0\\.1:(\\d+) \\(");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Matcher m = line.matcher(process.output());
        while (!m.find() && System.nanoTime() < deadline && process.isAlive()) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            m = line.matcher(process.output());
        }
        m = line.matcher(process.output());
        assertTrue(m.find(), process.output());
        return Integer.parseInt(m.group(1));
    }

    @Test
    void simApnsShouldServeCurlAndExitZeroWithASummaryOnSigterm() {
        String gone = SimFixtures.token(9);
        try (ExternalProcess sim = startSim("sim-apns", "apns", "--listen", "127.0.0.1:0",
                "--cert", pki.server().chain().toString(), "--key", pki.server().key().toString(),
                "--unregistered", gone, "--threads", "1")) {
            int port = listeningPort(sim, "apns");
            for (String token : List.of(SimFixtures.token(1), gone)) {
                ExternalProcess.Result curl = SimFixtures.curl("--http2", "--cacert", pki.caPem().toString(),
                        "--resolve", HOST + ":" + port + ":127.0.0.1", "-H", "apns-topic: com.example.app",
                        "-d", "{}", "-w", "\n%{http_code}", "https://" + HOST + ":" + port + "/3/device/" + token);
                assertEquals(0, curl.exitCode(), curl.output());
            }
            assertEquals(0, sim.terminate(Duration.ofSeconds(15)), sim.output());
            assertTrue(sim.output().contains("\napns simulator stopped: accepted 1, rejected 1 (Unregistered 1), "
                    + "connections 2"), sim.output());
        }
    }

    @Test
    void simProxyShouldTunnelWithBasicAuthFromAPasswordFileAndExitZero() throws Exception {
        Path password = dir.resolve("proxy.pass");
        Files.writeString(password, "pa ss\n");
        try (ApnsSimulator apns = new ApnsSimulator()) {
            int apnsPort = apns.start(ApnsSimConfig.builder(pki.identity()).build()).getPort();
            try (ExternalProcess proxy = startSim("sim-proxy", "proxy", "--listen", "127.0.0.1:0", "--user", "relay",
                    "--password-file", password.toString(), "--allow-port", Integer.toString(apnsPort),
                    "--host", HOST + "=127.0.0.1")) {
                int port = listeningPort(proxy, "proxy");
                ExternalProcess.Result curl = SimFixtures.curl("--proxy", "http://127.0.0.1:" + port, "--proxytunnel",
                        "--proxy-user", "relay:pa ss", "--http2", "--cacert", pki.caPem().toString(),
                        "-H", "apns-topic: t", "-d", "{}", "-w", "\n%{http_code}",
                        "https://" + HOST + ":" + apnsPort + "/3/device/" + SimFixtures.token(1));
                assertTrue(curl.output().endsWith("\n200"), curl.output());
                assertEquals(0, proxy.terminate(Duration.ofSeconds(15)), proxy.output());
                assertTrue(proxy.output().contains("\nproxy simulator stopped: tunnels 1 (open 0), refused 0"),
                        proxy.output());
                assertTrue(proxy.output().contains("CONNECT " + HOST + ":" + apnsPort + " 200 -> 127.0.0.1:" + apnsPort
                        + " user=relay"), proxy.output());
            }
            assertEquals(1, apns.acceptedCount());
        }
    }

    /** Runs the command in this JVM: only paths that end before a simulator would block. */
    private static String[] runInProcess(int expectedCode, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SimCommand.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        assertEquals(expectedCode, code, out + "\n" + err);
        return new String[] {out.toString(), err.toString()};
    }

    @Test
    void helpShouldStartWithWhatItDoesAndExamples() {
        String help = runInProcess(0, "apns", "--help")[0];
        assertTrue(help.startsWith("Run the APNS simulator"), help);
        assertTrue(help.indexOf("Examples:") < help.indexOf("Usage:"), help);
        assertTrue(help.contains("Exit codes:"), help);
        assertTrue(runInProcess(0, "--help")[0].contains("proxy  Run a CONNECT proxy"));
    }

    @Test
    void usageErrorsShouldExitTwoAndNameTheFlag() {
        String missing = runInProcess(2, "apns", "--listen", "127.0.0.1:0")[1];
        assertTrue(missing.startsWith("ERROR: push-relay sim apns: Missing required options: '--cert=FILE', "
                + "'--key=FILE'"), missing);
        String listen = runInProcess(2, "fcm", "--listen", "nowhere", "--cert", "a", "--key", "b")[1];
        assertTrue(listen.contains("ERROR: ") && listen.contains("'--listen'"), listen);
        String key = runInProcess(2, "apns", "--listen", "127.0.0.1:0", "--cert", pki.server().chain().toString(),
                "--key", pki.server().key().toString(), "--verify-key", "no-separators")[1];
        assertTrue(key.contains("'--verify-key': expected TEAM:KEYID=FILE"), key);
        String auth = runInProcess(2, "proxy", "--listen", "127.0.0.1:0", "--user", "u")[1];
        assertTrue(auth.contains("--user and --password-file go together"), auth);
        assertTrue(runInProcess(2)[1].contains("ERROR: push-relay sim: name a simulator"));
    }

    @Test
    void failuresShouldExitOneWithWhatAndCause() throws Exception {
        Path missing = dir.resolve("missing.pem");
        String err = runInProcess(1, "apns", "--listen", "127.0.0.1:0", "--cert", missing.toString(),
                "--key", pki.server().key().toString())[1];
        assertEquals("ERROR: read " + missing + ": no such file or folder\n", err);
        try (ApnsSimulator taken = new ApnsSimulator()) {
            int port = taken.start(ApnsSimConfig.builder(pki.identity()).build()).getPort();
            String bind = runInProcess(1, "fcm", "--listen", "127.0.0.1:" + port, "--cert",
                    pki.server().chain().toString(), "--key", pki.server().key().toString())[1];
            assertTrue(bind.startsWith("ERROR: bind, 127.0.0.1:" + port + ": "), bind);
            assertTrue(!bind.contains("\tat "), bind);
        }
    }
}
