package io.pushrelay.post;

import static io.pushrelay.post.PostTestbed.APNS;
import static io.pushrelay.post.PostTestbed.TOKEN;
import static io.pushrelay.post.PostTestbed.TOPIC;
import static io.pushrelay.post.PostTestbed.UNKNOWN_TOKEN;
import static io.pushrelay.post.PostTestbed.curl;
import static io.pushrelay.post.PostTestbed.payload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.config.ConfigOverrides;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.PromScrape;
import io.pushrelay.core.testing.Squid;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * relay-post's {@code /metrics} after real traffic: scraped over HTTP by curl, linted by
 * promtool, read by Prometheus' own parser ({@link PromScrape}), and every counter compared
 * with what the test sent: requests by status (curl over HTTP/1.1 and h2, answered by Pushy's
 * validating mock), TLS handshake failures (a client that does not speak TLS, a client that
 * does not trust the relay), bytes, connections; and, behind Squid asking for credentials the
 * relay does not have, the CONNECT refused with 407.
 */
class PostMetricsTest {
    private static final String ROUTE = APNS;

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

    private static ExternalProcess.Result post(PostRelay relay, String token, String protocol, String... more) {
        int port = relay.address().getPort();
        List<String> args = new ArrayList<>(List.of(protocol, "--cacert", bed.pki.caPem().toString(),
                "--resolve", APNS + ":" + port + ":127.0.0.1", "-H", "apns-topic: " + TOPIC,
                "-H", "authorization: " + bed.authorization, "--data-binary", payload()));
        args.addAll(List.of(more));
        args.add("https://" + APNS + ":" + port + "/3/device/" + token);
        return curl(args.toArray(String[]::new));
    }

    private static void assertStatus(ExternalProcess.Result r, int status) {
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("STATUS " + status + " "), r.output());
    }

    @Test
    void countersShouldMatchWhatWasSentAsParsedByPrometheus() throws Exception {
        try (PostRelay relay = PostRelay.start(bed.config())) {
            int accepted = bed.accepted.get();
            for (int i = 0; i < 3; i++) {
                assertStatus(post(relay, TOKEN, "--http1.1"), 200);
            }
            for (int i = 0; i < 2; i++) {
                assertStatus(post(relay, TOKEN, "--http2"), 200);
            }
            for (int i = 0; i < 3; i++) {
                assertStatus(post(relay, UNKNOWN_TOKEN, "--http1.1"), 400);
            }
            assertEquals(accepted + 5, bed.accepted.get(), "notifications the mock accepted");

            // Not TLS at all: an HTTP/1.1 request in clear to the TLS port.
            try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), relay.address().getPort())) {
                OutputStream out = plain.getOutputStream();
                out.write(("POST /3/device/" + TOKEN + " HTTP/1.1\r\nHost: " + APNS + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = plain.getInputStream();
                while (in.read() >= 0) {
                    // until the relay closes it
                }
            }
            // A client that does not trust the relay's CA: it aborts the handshake with an alert.
            ExternalProcess.Result untrusted = post(relay, TOKEN, "--http1.1", "--cacert", bed.foreignPki.caPem().toString());
            assertEquals(60, untrusted.exitCode(), "curl: peer certificate not verified\n" + untrusted.output());

            waitForClosedConnections(relay);
            PromScrape scrape = PromScrape.take(relay.adminAddress(), dir);

            Map<Map<String, String>, Double> requests = scrape.nonZero("push_relay_requests_total");
            Map<Map<String, String>, Double> expected = Map.of(
                    labels("flag", "-", "route", ROUTE, "status", "200"), 5.0,
                    labels("flag", "-", "route", ROUTE, "status", "400"), 3.0);
            assertEquals(expected, requests, scrape.text());
            assertEquals(8, scrape.count("push_relay_request_duration_seconds_count", "route", ROUTE));
            assertEquals(8, scrape.count("push_relay_request_duration_seconds_bucket", "route", ROUTE, "le", "+Inf"));
            assertTrue(scrape.value("push_relay_request_duration_seconds_sum", "route", ROUTE) > 0);

            assertEquals(2, scrape.count("push_relay_tls_handshake_failures_total", "side", "downstream"), scrape.text());
            assertEquals(0, scrape.count("push_relay_tls_handshake_failures_total", "side", "upstream"));
            // 8 notifications + 2 failed handshakes, one connection each; all closed again.
            assertEquals(10, scrape.count("push_relay_downstream_connections_accepted_total", "listener", "post"));
            assertEquals(0, scrape.count("push_relay_downstream_connections_open", "listener", "post"));
            assertEquals(0, scrape.count("push_relay_downstream_connections_refused_total", "listener", "post"));
            assertTrue(scrape.value("push_relay_downstream_rx_bytes_total", "listener", "post") > 8 * payload().length(),
                    scrape.text());
            assertTrue(scrape.value("push_relay_downstream_tx_bytes_total", "listener", "post") > 0);

            // Upstream: one h2 connection per event loop at most, none failed; bytes both ways.
            long attempts = scrape.count("push_relay_upstream_connect_attempts_total", "route", ROUTE);
            assertTrue(attempts >= 1, scrape.text());
            assertEquals(Map.of(), scrape.nonZero("push_relay_upstream_connect_failures_total"));
            assertEquals(Map.of(), scrape.nonZero("push_relay_proxy_connect_failures_total"));
            assertEquals(Map.of(), scrape.nonZero("push_relay_upstream_retries_total"));
            assertEquals(attempts, scrape.count("push_relay_upstream_connections_open", "route", "all"));
            assertTrue(scrape.value("push_relay_upstream_tx_bytes_total", "route", ROUTE) > 8 * payload().length());
            assertTrue(scrape.value("push_relay_upstream_rx_bytes_total", "route", ROUTE) > 0);

            double days = scrape.value("push_relay_certificate_expiry_days",
                    "file", bed.relayCert.chain().toString(), "subject", subjectOf(scrape, bed.relayCert.chain().toString()));
            assertTrue(days > 1 && days < 3660, "days to expiry: " + days);
            assertEquals(0, scrape.count("push_relay_access_log_dropped_total"));
        }
    }

    @Test
    void connectRefusedWith407ShouldBeCountedByProxyStatus() throws Exception {
        try (Squid squid = Squid.builder().allowPorts(bed.mockPort).host(APNS, "127.0.0.1")
                .basicAuth("relay", "the-password").directory(dir).start();
             PostRelay relay = PostRelay.start(bed.config(ConfigOverrides.none(),
                     "proxy:", "  url: http://127.0.0.1:" + squid.port()))) {
            ExternalProcess.Result r = post(relay, TOKEN, "--http1.1");
            assertStatus(r, 502);
            assertTrue(r.output().contains("RelayProxyRefused"), r.output());

            PromScrape scrape = PromScrape.take(relay.adminAddress(), dir);
            assertEquals(Map.of(labels("status", "407"), 1.0), scrape.nonZero("push_relay_proxy_connect_failures_total"),
                    scrape.text());
            assertEquals(1, scrape.count("push_relay_upstream_connect_attempts_total", "route", ROUTE));
            assertEquals(Map.of(labels("reason", "proxy_refused", "route", ROUTE), 1.0),
                    scrape.nonZero("push_relay_upstream_connect_failures_total"));
            assertEquals(Map.of(labels("flag", "PR", "route", ROUTE, "status", "502"), 1.0),
                    scrape.nonZero("push_relay_requests_total"));
            assertEquals(0, scrape.count("push_relay_tls_handshake_failures_total", "side", "upstream"));
            // The CONNECT line went out and the 407 came back: bytes on the upstream side too.
            assertTrue(scrape.value("push_relay_upstream_tx_bytes_total", "route", ROUTE) > "CONNECT ".length());
            assertTrue(scrape.value("push_relay_upstream_rx_bytes_total", "route", ROUTE) > "HTTP/1.1 407".length());
            squid.stop();
            assertTrue(squid.accessLog().stream().anyMatch(e -> e.isConnect() && e.status() == 407),
                    squid.accessLog().toString());
        }
    }

    private static Map<String, String> labels(String... pairs) {
        Map<String, String> out = new TreeMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.put(pairs[i], pairs[i + 1]);
        }
        return out;
    }

    /** The subject label of the certificate expiry sample of {@code file}. */
    private static String subjectOf(PromScrape scrape, String file) {
        return scrape.samples().stream()
                .filter(s -> s.name().equals("push_relay_certificate_expiry_days") && file.equals(s.labels().get("file")))
                .map(s -> s.labels().get("subject")).findFirst()
                .orElseThrow(() -> new AssertionError("no expiry of " + file + " in\n" + scrape.text()));
    }

    /** The relay counts a connection closed on its event loop, a moment after the client saw it close. */
    private static void waitForClosedConnections(PostRelay relay) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (relay.metrics().listener("post").open() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
