package io.pushrelay.post;

import static io.pushrelay.post.PostTestbed.APNS;
import static io.pushrelay.post.PostTestbed.TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import io.pushrelay.core.config.ConfigOverrides;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.observe.AccessLog;
import io.pushrelay.core.sim.ApnsSimConfig;
import io.pushrelay.core.sim.ApnsSimulator;
import io.pushrelay.core.sim.ServerIdentity;
import io.pushrelay.core.testing.LogCapture;
import io.pushrelay.core.testing.Ports;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * APNS down, then back, behind a real relay-post: a burst of pipelined requests while nothing
 * listens upstream is answered 503 each, in order, without flooding the log (a few WARN lines
 * that account for every failure; the access log has them all), and once the upstream listens
 * again the relay reconnects by itself and the next requests get through.
 */
class PostUpstreamDownTest {
    private static final int BURST = 1_000;
    private static final Pattern MORE = Pattern.compile(" \\((\\d+) more like it since the last line\\)$");

    @TempDir
    Path dir;

    @Test
    void anOutageShouldBeAnsweredOnceEachLoggedBrieflyAndRecoveredFrom() throws Exception {
        int port = Ports.closed();
        try (PostTestbed bed = new PostTestbed(dir);
             LogCapture warnings = LogCapture.of(Forwarder.class, Level.WARN);
             LogCapture access = LogCapture.of(AccessLog.LOGGER_NAME);
             PostRelay relay = PostRelay.start(bed.config(ConfigOverrides.none()
                     .set("test", "routes", Map.of(APNS, "127.0.0.1:" + port))));
             RawHttp.Conn conn = RawHttp.tls(relay.address().getPort(), bed.pki.caPem(), null, APNS, "http/1.1")) {
            StringBuilder burst = new StringBuilder();
            for (int i = 0; i < BURST; i++) {
                burst.append(RawHttp.post(APNS, TOKEN, apnsId(i), "", ""));
            }
            Thread writer = new Thread(() -> {
                try {
                    conn.send(burst.toString().getBytes(StandardCharsets.ISO_8859_1));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            writer.start();
            for (int i = 0; i < BURST; i++) {
                String response = conn.readResponse();
                assertTrue(response.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), i + ": " + response);
                assertTrue(response.contains("RelayUpstreamUnavailable"), i + ": " + response);
            }
            writer.join(10_000);

            try (ApnsSimulator sim = new ApnsSimulator()) {
                sim.start(ApnsSimConfig.builder(ServerIdentity.fromPem(bed.upstreamCert.chain(), bed.upstreamCert.key()))
                        .listen(new InetSocketAddress("127.0.0.1", port)).build());
                // The pool retries with a capped backoff; within a few seconds a request gets through.
                String answer = "";
                int sent = 0;
                long deadline = System.nanoTime() + 15_000_000_000L;
                while (!answer.startsWith("HTTP/1.1 200 OK") && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    conn.send(RawHttp.post(APNS, TOKEN, apnsId(BURST + sent), "", ""));
                    sent++;
                    answer = conn.readResponse();
                }
                assertTrue(answer.startsWith("HTTP/1.1 200 OK"), "the upstream is back, the relay is not: " + answer);
                assertEquals(1, sim.acceptedCount(), "only the request answered 200 reached the upstream");

                List<String> lines = warnings.messages(Level.WARN);
                assertTrue(lines.size() <= 20, lines.size() + " WARN lines for " + (BURST + sent - 1) + " failures");
                long accounted = 0;
                for (String line : lines) {
                    assertTrue(line.startsWith("answered 503 RelayUpstreamUnavailable (UF): "), line);
                    Matcher m = MORE.matcher(line);
                    accounted += 1 + (m.find() ? Long.parseLong(m.group(1)) : 0);
                }
                // The lines held back after the last one logged are told by the next: at most that many are missing.
                assertTrue(accounted <= BURST + sent - 1 && accounted >= lines.size(), accounted + " " + lines);
                assertEquals(BURST + sent, access.messages().size(), "the access log has every answer");
            }
        }
    }

    private static String apnsId(int i) {
        return String.format("00000000-0000-4000-8000-%012x", i);
    }
}
