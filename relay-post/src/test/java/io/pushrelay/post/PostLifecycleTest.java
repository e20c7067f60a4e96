package io.pushrelay.post;

import static io.pushrelay.post.PostTestbed.APNS;
import static io.pushrelay.post.PostTestbed.TOKEN;
import static io.pushrelay.post.PostTestbed.TOPIC;
import static io.pushrelay.post.PostTestbed.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code push-relay post} in its own JVM (its {@code main}, as systemd runs it) under an
 * HTTP/1.1 keep-alive load to Pushy's validating mock: curl processes, each sending its
 * notifications one after the other on one connection, and two senders of our own over JDK TLS
 * sockets that do the same but, unlike curl, never resend a request whose connection closed
 * under it (as a sender of non-idempotent POSTs must not), so that a request lost to a close
 * shows. A quarter in, the certificate file is re-issued
 * in place and the relay gets SIGHUP: not one request fails and new handshakes see the new
 * serial. Half-way, SIGTERM: every connection gets {@code Connection: close} on its next answer
 * and is closed after it, the relay exits 0 well within its drain timeout, no request it took
 * is lost (each one sent is answered; the only ones without an answer are those that found the
 * listener already closed and were never sent), and every notification the mock accepted was
 * answered 200 to its sender.
 */
class PostLifecycleTest {
    private static final Pattern LISTENING = Pattern.compile("relay-post listening on 127\\.0\\.0\\.1:(\\d+) \\(");
    private static final int SENDERS = 5;
    /** Senders of our own that, unlike curl, never send a request again on a new connection. */
    private static final int RAW_SENDERS = 2;
    private static final int PER_SENDER = 400;
    private static final int DRAIN_SECONDS = 20;
    /** One line per transfer: status, connections curl opened for it, its error message. */
    private static final String WRITE_OUT = "%{http_code} %{num_connects} %{errormsg}\\n";
    private static final Pattern TRANSFER = Pattern.compile("\\d{3} \\d+ ");

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

    @Test
    void sighupWithANewCertificateThenSigtermUnderKeepAliveLoadShouldLoseNothing() throws Exception {
        Path cert = dir.resolve("served.pem");
        Path key = dir.resolve("served.key");
        Files.copy(bed.relayCert.chain(), cert);
        Files.copy(bed.relayCert.key(), key);
        Path config = bed.file("lifecycle.yaml", String.join("\n",
                "listen: 127.0.0.1:0",
                "tls:",
                "  cert: " + cert,
                "  key: " + key,
                "routes:",
                "  " + APNS + ": 127.0.0.1:" + bed.mockPort,
                "upstream:",
                "  ca: " + bed.pki.caPem(),
                "admin:",
                "  listen: 127.0.0.1:0",
                "drain-timeout: " + DRAIN_SECONDS + "s",
                ""));
        Path body = bed.file("notification.json", payload());
        String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-cp", System.getProperty("java.class.path"),
                PostCommand.class.getName(), "--config", config.toString());
        int acceptedBefore = bed.accepted.get();
        IntSupplier accepted = () -> bed.accepted.get() - acceptedBefore;
        List<ExternalProcess> senders = new ArrayList<>();
        List<RawSender> rawSenders = new ArrayList<>();
        List<Thread> rawThreads = new ArrayList<>();
        try (ExternalProcess relay = ExternalProcess.start("relay-post", dir.resolve("relay-post.log"), Map.of(), command)) {
            relay.awaitOutput("relay-post listening on", Duration.ofSeconds(60));
            Matcher m = LISTENING.matcher(relay.output());
            assertTrue(m.find(), relay.output());
            int port = Integer.parseInt(m.group(1));
            String servedBefore = servedSerial(port);
            assertEquals(serialOf(cert), servedBefore);

            try {
                for (int i = 0; i < SENDERS; i++) {
                    senders.add(startSender(i, port, body));
                }
                for (int i = 0; i < RAW_SENDERS; i++) {
                    RawSender raw = new RawSender(port, PER_SENDER);
                    Thread t = new Thread(raw, "raw-sender-" + i);
                    t.start();
                    rawSenders.add(raw);
                    rawThreads.add(t);
                }
                int total = (SENDERS + RAW_SENDERS) * PER_SENDER;

                awaitAtLeast(accepted, total / 4, relay);
                TestPki.LeafFiles reissued = bed.pki.server("reissued", PostTestbed.RELAY_NAME, APNS);
                Files.copy(reissued.key(), key, StandardCopyOption.REPLACE_EXISTING);
                Files.copy(reissued.chain(), cert, StandardCopyOption.REPLACE_EXISTING);
                int atHup = accepted.getAsInt();
                signal("HUP", relay);
                relay.awaitOutput("certificates reloaded", Duration.ofSeconds(20));
                String servedAfter = servedSerial(port);
                assertEquals(serialOf(reissued.chain()), servedAfter);
                assertNotEquals(servedBefore, servedAfter);

                awaitAtLeast(accepted, total / 2, relay);
                int atTerm = accepted.getAsInt();
                long termNanos = System.nanoTime();
                int exit = relay.terminate(Duration.ofSeconds(DRAIN_SECONDS + 10));
                long exitMillis = (System.nanoTime() - termNanos) / 1_000_000;
                assertEquals(0, exit, relay.output());
                assertTrue(exitMillis < DRAIN_SECONDS * 1000L, "exit after " + exitMillis + " ms");
                assertTrue(atHup < total && atTerm < total, "the load was running: " + atHup + ", " + atTerm);

                Map<String, Integer> outcomes = new TreeMap<>();
                int answered200 = 0;
                for (ExternalProcess sender : senders) {
                    assertTrue(sender.process().waitFor(60, TimeUnit.SECONDS), "curl still running");
                    // stderr is in the same output: keep the write-out lines.
                    List<String> lines = sender.output().lines().filter(l -> TRANSFER.matcher(l).lookingAt()).toList();
                    assertEquals(PER_SENDER, lines.size(), "one line per transfer:\n" + sender.output());
                    for (String line : lines) {
                        String outcome = classify(line);
                        outcomes.merge(outcome, 1, Integer::sum);
                        if (outcome.equals("200")) {
                            answered200++;
                        }
                    }
                }
                for (int i = 0; i < RAW_SENDERS; i++) {
                    rawThreads.get(i).join(60_000);
                    assertFalse(rawThreads.get(i).isAlive(), "raw sender still running");
                    RawSender raw = rawSenders.get(i);
                    answered200 += raw.answered200;
                    outcomes.merge("200", raw.answered200, Integer::sum);
                    outcomes.merge("not sent", raw.notSent, Integer::sum);
                    for (String failure : raw.failures) {
                        outcomes.merge("raw: " + failure, 1, Integer::sum);
                    }
                }
                String summary = "outcomes " + outcomes + ", mock accepted " + accepted.getAsInt()
                        + ", at HUP " + atHup + ", at TERM " + atTerm + ", exit after " + exitMillis + " ms";
                // Every request sent was answered 200; the rest were never sent (the listener had closed).
                assertEquals(total, answered200 + outcomes.getOrDefault("not sent", 0), summary);
                assertTrue(answered200 > atTerm, "requests in flight at SIGTERM were answered: " + summary);
                // Every notification the mock accepted was answered to its sender, and only those.
                assertEquals(answered200, accepted.getAsInt(), summary);
                String log = relay.output();
                assertTrue(log.contains("relay-post: SIGTERM: draining"), log);
                assertTrue(log.contains("relay-post: stopped"), log);
                assertFalse(log.contains("drain timeout reached"), log);
                assertFalse(log.contains("ERROR"), log);
                System.out.println("relay-post lifecycle: " + summary);
            } finally {
                for (ExternalProcess sender : senders) {
                    sender.close();
                }
                for (Thread t : rawThreads) {
                    t.join(10_000);
                }
            }
        }
    }

    /**
     * curl sending {@value #PER_SENDER} notifications one after the other, keeping its connection
     * (it opens a new one only when the relay closed the last).
     */
    private static ExternalProcess startSender(int i, int port, Path body) {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--http1.1", "--noproxy", "*",
                "--max-time", "30", "--cacert", bed.pki.caPem().toString(),
                "--resolve", APNS + ":" + port + ":127.0.0.1", "-H", "apns-topic: " + TOPIC,
                "-H", "authorization: " + bed.authorization, "--data-binary", "@" + body,
                "-o", "/dev/null", "-w", WRITE_OUT));
        String url = "https://" + APNS + ":" + port + "/3/device/" + TOKEN;
        for (int n = 0; n < PER_SENDER; n++) {
            command.add(url);
        }
        return ExternalProcess.start("curl-" + i, dir.resolve("curl-" + i + ".log"), Map.of(), command);
    }

    /**
     * {@code 200}; {@code not sent} when curl could not connect (the relay no longer accepts, so
     * the request never left); otherwise the line itself, a failure.
     */
    private static String classify(String line) {
        if (line.startsWith("200 ")) {
            return "200";
        }
        String lower = line.toLowerCase(Locale.ROOT);
        if (line.startsWith("000 ") && (lower.contains("failed to connect") || lower.contains("couldn't connect"))) {
            return "not sent";
        }
        if (line.startsWith("000 ") && lower.contains("ssl_connect")) {
            // The TLS handshake did not finish (a connection left in the accept queue when the
            // listener closed is reset): the request never left curl.
            return "not sent";
        }
        return line;
    }

    /**
     * Sends {@code count} notifications one after the other on a keep-alive TLS connection,
     * opening a new one only when an answer said {@code Connection: close}. A request written on
     * a connection that then closed (or failed) without its answer is a failure, never resent;
     * once a new connection cannot be made, the rest are not sent.
     */
    private static final class RawSender implements Runnable {
        private final int port;
        private final int count;
        volatile int answered200;
        volatile int notSent;
        final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());

        RawSender(int port, int count) {
            this.port = port;
            this.count = count;
        }

        @Override
        public void run() {
            String body = payload();
            String request = "POST /3/device/" + TOKEN + " HTTP/1.1\r\nHost: " + APNS + "\r\napns-topic: " + TOPIC
                    + "\r\nauthorization: " + bed.authorization + "\r\ncontent-type: application/json\r\ncontent-length: "
                    + body.length() + "\r\n\r\n" + body;
            RawHttp.Conn conn = null;
            int ok = 0;
            try {
                for (int i = 0; i < count; i++) {
                    if (conn == null) {
                        try {
                            conn = RawHttp.tls(port, bed.pki.caPem(), null, APNS);
                        } catch (java.io.IOException e) {
                            notSent = count - i;
                            return;
                        }
                    }
                    String answer;
                    try {
                        conn.send(request);
                        answer = conn.readResponse();
                    } catch (java.io.IOException | AssertionError e) {
                        failures.add("no answer: " + e.getMessage());
                        closeQuietly(conn);
                        conn = null;
                        continue;
                    }
                    if (answer.startsWith("HTTP/1.1 200 ")) {
                        ok++;
                        answered200 = ok;
                    } else {
                        failures.add(answer.lines().findFirst().orElse(""));
                    }
                    if (answer.toLowerCase(Locale.ROOT).contains("\r\nconnection: close\r\n")) {
                        closeQuietly(conn);
                        conn = null;
                    }
                }
            } finally {
                closeQuietly(conn);
            }
        }

        private static void closeQuietly(RawHttp.Conn conn) {
            if (conn != null) {
                try {
                    conn.close();
                } catch (Exception e) {
                    // closing anyway
                }
            }
        }
    }

    private static void awaitAtLeast(IntSupplier value, int wanted, ExternalProcess relay) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (value.getAsInt() < wanted) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("only " + value.getAsInt() + " of " + wanted + " accepted:\n" + relay.output());
            }
            Thread.sleep(5);
        }
    }

    private static void signal(String name, ExternalProcess process) {
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(5), Map.of(),
                List.of("kill", "-" + name, Long.toString(process.pid())));
        assertEquals(0, r.exitCode(), r.output());
    }

    /** The serial of the certificate a new TLS connection to the relay is shown (openssl s_client). */
    private static String servedSerial(int port) {
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(20), Map.of(), List.of("sh", "-c",
                "openssl s_client -connect 127.0.0.1:" + port + " -servername " + APNS
                        + " </dev/null 2>/dev/null | openssl x509 -noout -serial"));
        assertEquals(0, r.exitCode(), r.output());
        return r.output().trim();
    }

    private static String serialOf(Path pem) {
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(10), Map.of(),
                List.of("openssl", "x509", "-noout", "-serial", "-in", pem.toString()));
        assertEquals(0, r.exitCode(), r.output());
        return r.output().trim();
    }
}
