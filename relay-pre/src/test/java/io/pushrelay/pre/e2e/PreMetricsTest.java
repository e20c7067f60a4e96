package io.pushrelay.pre.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.eatthepath.pushy.apns.auth.ApnsSigningKey;
import com.eatthepath.pushy.apns.auth.AuthenticationToken;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.H2TestServer;
import io.pushrelay.core.testing.PromScrape;
import io.pushrelay.core.testing.Squid;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * relay-pre's {@code /metrics} after real traffic: scraped over HTTP by curl, linted by
 * promtool, read by Prometheus' own parser ({@link PromScrape}), every counter compared with
 * what the test sent. Through Squid (Basic auth) to Pushy's validating mock: requests by route
 * and status, bytes, connections, downstream TLS handshake failures (a client that does not
 * speak TLS, one that does not trust the relay); to {@link H2TestServer} refusing every fifth
 * stream: retries by reason; to an upstream whose certificate the relay does not trust: the
 * upstream TLS handshake failure.
 */
class PreMetricsTest {
    private static final String ROUTE = E2ePki.APNS_HOST;
    private static final String LISTENER = "pre";

    @TempDir
    static Path dir;
    static E2ePki pki;
    static Path body;

    @BeforeAll
    static void setUp() throws Exception {
        pki = E2ePki.create(dir.resolve("pki"));
        body = Notifications.writeBody(dir);
    }

    /** A provider token signed now with the scenario's key: Pushy's mock verifies it. */
    private static String providerToken() throws Exception {
        ApnsSigningKey key = ApnsSigningKey.loadFromPkcs8File(pki.signingKeyFile().toFile(), E2ePki.TEAM, E2ePki.KEY_ID);
        return new AuthenticationToken(key, Instant.now()).getAuthorizationHeader().toString();
    }

    /** curl POSTs {@link #body} over h2 to the relay for {@code token}; returns the status (0: no answer). */
    private static int post(InJvmRelay relay, Path trust, String authorization, String token) {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--noproxy", "*", "--http2", "--max-time", "30",
                "--cacert", trust.toString(), "--resolve", ROUTE + ":" + relay.port() + ":127.0.0.1",
                "-H", "apns-topic: " + E2ePki.TOPIC, "-H", "authorization: " + authorization,
                "--data-binary", "@" + body, "-o", "/dev/null", "-w", "%{http_code}",
                "https://" + ROUTE + ":" + relay.port() + "/3/device/" + token));
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(40), Map.of(), command);
        String out = r.output().trim();
        int status = out.length() >= 3 ? Integer.parseInt(out.substring(out.length() - 3)) : 0;
        return r.exitCode() == 0 ? status : -r.exitCode();
    }

    @Test
    void countersShouldMatchWhatWasSentThroughSquidAsParsedByPrometheus() throws Exception {
        Path passwordFile = dir.resolve("proxy.password");
        Files.writeString(passwordFile, "the-password\n");
        int good = 5;
        int unknown = 3;
        try (MockApns mock = MockApns.start(pki, Notifications.registered(good, 0), true, null);
             Squid squid = Squid.builder().allowPorts(mock.port()).host(ROUTE, "127.0.0.1")
                     .basicAuth("relay", "the-password").directory(dir).start();
             InJvmRelay relay = new InJvmRelay(pki, dir, String.join("\n",
                     "proxy:",
                     "  url: http://relay@127.0.0.1:" + squid.port(),
                     "  password-file: " + passwordFile,
                     "upstream:",
                     "  ca: " + pki.apnsCa(),
                     "routes:",
                     "  " + ROUTE + ": " + ROUTE + ":" + mock.port()))) {
            String authorization = providerToken();
            for (int i = 0; i < good; i++) {
                assertEquals(200, post(relay, pki.relayCa(), authorization, Notifications.token(i)));
            }
            for (int i = 0; i < unknown; i++) {
                assertEquals(400, post(relay, pki.relayCa(), authorization, Notifications.token(100 + i)));
            }
            assertEquals(good, mock.acceptedCount());

            try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), relay.port())) {
                OutputStream out = plain.getOutputStream();
                out.write(("GET / HTTP/1.1\r\nHost: " + ROUTE + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = plain.getInputStream();
                while (in.read() >= 0) {
                    // until the relay closes it
                }
            }
            // The upstream's CA is not the one relay-pre's certificate chains to: curl refuses it.
            assertEquals(-60, post(relay, pki.apnsCa(), authorization, Notifications.token(0)));
            waitForClosedConnections(relay);

            PromScrape scrape = PromScrape.take(relay.relay.adminAddress(), dir);
            assertEquals(Map.of(labels("flag", "-", "route", ROUTE, "status", "200"), (double) good,
                            labels("flag", "-", "route", ROUTE, "status", "400"), (double) unknown),
                    scrape.nonZero("push_relay_requests_total"), scrape.text());
            assertEquals(good + unknown, scrape.count("push_relay_request_duration_seconds_count", "route", ROUTE));
            assertEquals(good + unknown,
                    scrape.count("push_relay_request_duration_seconds_bucket", "route", ROUTE, "le", "+Inf"));

            assertEquals(2, scrape.count("push_relay_tls_handshake_failures_total", "side", "downstream"), scrape.text());
            assertEquals(0, scrape.count("push_relay_tls_handshake_failures_total", "side", "upstream"));
            assertEquals(good + unknown + 2, scrape.count("push_relay_downstream_connections_accepted_total",
                    "listener", LISTENER));
            assertEquals(0, scrape.count("push_relay_downstream_connections_open", "listener", LISTENER));
            assertTrue(scrape.value("push_relay_downstream_rx_bytes_total", "listener", LISTENER)
                    > (good + unknown) * Files.size(body));
            assertTrue(scrape.value("push_relay_downstream_tx_bytes_total", "listener", LISTENER) > 0);

            long attempts = scrape.count("push_relay_upstream_connect_attempts_total", "route", ROUTE);
            assertTrue(attempts >= 1, scrape.text());
            assertEquals(attempts, mock.connections(), "every attempt reached the mock through Squid");
            assertEquals(Map.of(), scrape.nonZero("push_relay_upstream_connect_failures_total"));
            assertEquals(Map.of(), scrape.nonZero("push_relay_proxy_connect_failures_total"));
            assertEquals(Map.of(), scrape.nonZero("push_relay_upstream_retries_total"));
            assertTrue(scrape.value("push_relay_upstream_tx_bytes_total", "route", ROUTE)
                    > (good + unknown) * Files.size(body));
            assertTrue(scrape.value("push_relay_upstream_rx_bytes_total", "route", ROUTE) > 0);
            assertTrue(scrape.sum("push_relay_certificate_expiry_days", "file", pki.relayCert().toString()) > 1);
        }
    }

    @Test
    void refusedStreamsShouldBeCountedAsRetries() throws Exception {
        // Every 25th stream refused: with every 5th, the same request was now and then refused
        // 4 times in a row and, past its 3 retries, rightly answered 503.
        int n = 500;
        try (H2TestServer upstream = H2TestServer.builder(pki.apnsCert(), pki.apnsKey()).refuseEvery(25).start();
             InJvmRelay relay = new InJvmRelay(pki, dir, String.join("\n",
                     "upstream:",
                     "  ca: " + pki.apnsCa(),
                     "routes:",
                     "  " + ROUTE + ": 127.0.0.1:" + upstream.port()))) {
            Senders.H2loadResult r = Senders.h2load(body, relay.port(), Notifications.token(1), n, 2, 10);
            assertEquals(n, r.s2xx(), r.output());
            assertTrue(upstream.refused() > 0);

            PromScrape scrape = PromScrape.take(relay.relay.adminAddress(), dir);
            assertEquals(Map.of(labels("reason", "refused_stream"), (double) upstream.refused()),
                    scrape.nonZero("push_relay_upstream_retries_total"), scrape.text());
            assertEquals(n, scrape.count("push_relay_requests_total", "flag", "-", "route", ROUTE, "status", "200"));
            assertEquals(upstream.connections(), scrape.count("push_relay_upstream_connect_attempts_total", "route", ROUTE));
        }
    }

    @Test
    void untrustedUpstreamShouldCountAnUpstreamTlsHandshakeFailure() throws Exception {
        // The upstream's certificate is from the scenario's "Apple" CA, which this relay does not trust.
        try (H2TestServer upstream = H2TestServer.builder(pki.apnsCert(), pki.apnsKey()).start();
             InJvmRelay relay = new InJvmRelay(pki, dir, String.join("\n",
                     "routes:",
                     "  " + ROUTE + ": 127.0.0.1:" + upstream.port()))) {
            assertEquals(502, post(relay, pki.relayCa(), "bearer " + Senders.FAKE_JWT, Notifications.token(1)));

            PromScrape scrape = PromScrape.take(relay.relay.adminAddress(), dir);
            assertEquals(1, scrape.count("push_relay_tls_handshake_failures_total", "side", "upstream"), scrape.text());
            assertEquals(0, scrape.count("push_relay_tls_handshake_failures_total", "side", "downstream"));
            assertEquals(1, scrape.count("push_relay_upstream_connect_attempts_total", "route", ROUTE));
            assertEquals(Map.of(labels("reason", "tls", "route", ROUTE), 1.0),
                    scrape.nonZero("push_relay_upstream_connect_failures_total"));
            assertEquals(Map.of(labels("flag", "TF", "route", ROUTE, "status", "502"), 1.0),
                    scrape.nonZero("push_relay_requests_total"));
            assertEquals(Map.of(), scrape.nonZero("push_relay_proxy_connect_failures_total"));
            assertEquals(0, upstream.processed());
        }
    }

    private static Map<String, String> labels(String... pairs) {
        Map<String, String> out = new TreeMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.put(pairs[i], pairs[i + 1]);
        }
        return out;
    }

    /** The relay counts a connection closed on its event loop, a moment after the client saw it close. */
    private static void waitForClosedConnections(InJvmRelay relay) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (relay.relay.metrics().listener(LISTENER).open() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }
}
