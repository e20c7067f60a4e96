package io.pushrelay.core.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.observe.metrics.CertificateExpiry;
import io.pushrelay.core.observe.metrics.ConnectFailure;
import io.pushrelay.core.observe.metrics.ListenerMetrics;
import io.pushrelay.core.observe.metrics.RelayMetrics;
import io.pushrelay.core.observe.metrics.RetryReason;
import io.pushrelay.core.observe.metrics.RouteMetrics;
import io.pushrelay.core.observe.metrics.TlsSide;
import io.pushrelay.core.observe.metrics.UpstreamPoolStats;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.PromScrape;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} read by the Prometheus project's own tools: fetched by curl from a real
 * admin server, linted by {@code promtool check metrics} (Debian's {@code prometheus}) and
 * parsed by {@code expfmt.TextParser} (Debian's {@code golang-github-prometheus-common-dev},
 * built here with {@code GO111MODULE=off}); every sample the parser saw is compared with what
 * the test recorded.
 */
class MetricsExpositionTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String APNS = "api.push.apple.com";
    private static final String FCM = "fcm.googleapis.com";
    private static final long MS = 1_000_000L;
    private static final String CERT_FILE = "/etc/push-relay/api.pem";
    private static final String CERT_SUBJECT = "CN=api.push.apple.com,O=Relay \"Test\" \\ Lab";

    @TempDir
    static Path work;
    private static Path dumper;

    @BeforeAll
    static void buildParser() throws Exception {
        dumper = PromScrape.dumper();
    }

    @Test
    void scrapeShouldPassPromtoolAndParseToExactlyWhatWasRecorded() throws Exception {
        RelayMetrics metrics = new RelayMetrics("7.0.0-test", true);
        Instant notAfter = Instant.now().plus(Duration.ofDays(10));
        metrics.registerCertificates(() -> List.of(new CertificateExpiry(CERT_FILE, CERT_SUBJECT, notAfter)));

        RouteMetrics apns = metrics.route(APNS);
        for (int i = 0; i < 5; i++) {
            apns.upstreamAnswered(200, 700_000);
        }
        apns.upstreamAnswered(410, 12 * MS);
        apns.relayAnswered(RelayError.UPSTREAM_TIMEOUT, 10_000 * MS);
        apns.relayAnswered(RelayError.UPSTREAM_TIMEOUT, 10_000 * MS);
        apns.connectAttempted();
        apns.connectAttempted();
        apns.connectAttempted();
        apns.connectFailed(ConnectFailure.TLS);
        apns.connectFailed(ConnectFailure.PROXY_REFUSED);
        apns.upstreamSent(1234);
        apns.upstreamReceived(987_654_321);
        apns.registerPool(pool(2, 7));
        metrics.registerUpstreamPool(APNS, pool(1, 1));
        metrics.route(FCM).upstreamAnswered(200, 40 * MS);
        metrics.unrouted().relayAnswered(RelayError.NO_ROUTE, 100_000);
        metrics.proxyConnectFailed(407);
        metrics.proxyConnectFailed(407);
        metrics.proxyConnectFailed(0);
        metrics.tlsHandshakeFailed(TlsSide.UPSTREAM);
        metrics.upstreamRetried(RetryReason.GOAWAY);
        metrics.upstreamRetried(RetryReason.GOAWAY);
        metrics.upstreamRetried(RetryReason.REFUSED_STREAM);
        ListenerMetrics pre = metrics.listener("pre");
        for (int i = 0; i < 4; i++) {
            pre.connectionAccepted();
        }
        pre.connectionClosed();
        pre.connectionRefused();
        pre.tlsHandshakeFailed();
        pre.received(5000);
        pre.sent(6000);

        Path scrape = work.resolve("scrape.txt");
        try (AdminServer server = new AdminServer()) {
            int port = server.start(new InetSocketAddress("127.0.0.1", 0), metrics, () -> Readiness.READY).getPort();
            ExternalProcess.Result curl = ExternalProcess.run(TIMEOUT, Map.of(), List.of("curl", "-sS", "--fail",
                    "--max-time", "10", "-o", scrape.toString(), "http://127.0.0.1:" + port + "/metrics"));
            assertEquals(0, curl.exitCode(), curl.output());
        }

        // promtool lints the whole exposition (JVM metrics included). Its one remark is the
        // name the brief chose: days, where Prometheus' convention is seconds.
        ExternalProcess.Result lint = ExternalProcess.run(TIMEOUT, Map.of(),
                List.of("sh", "-c", "exec promtool check metrics < \"$0\"", scrape.toString()));
        assertEquals(List.of("push_relay_certificate_expiry_days use base unit \"seconds\" instead of \"days\""),
                lint.output().lines().toList(), lint.output());
        assertEquals(3, lint.exitCode(), "promtool's exit code for lint problems only:\n" + lint.output());

        ExternalProcess.Result parsed = ExternalProcess.run(TIMEOUT, Map.of(), List.of(dumper.toString(), scrape.toString()));
        assertEquals(0, parsed.exitCode(), parsed.output());
        Map<String, String> types = new TreeMap<>();
        Map<String, Double> samples = new TreeMap<>();
        for (String line : parsed.output().lines().toList()) {
            if (line.startsWith("TYPE ")) {
                String[] parts = line.split(" ");
                types.put(parts[1], parts[2]);
            } else {
                int space = line.lastIndexOf(' ');
                Double previous = samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
                assertEquals(null, previous, "duplicate sample " + line);
            }
        }

        Map<String, String> expectedTypes = new LinkedHashMap<>();
        expectedTypes.put("push_relay_requests_total", "counter");
        expectedTypes.put("push_relay_request_duration_seconds", "histogram");
        expectedTypes.put("push_relay_upstream_connect_attempts_total", "counter");
        expectedTypes.put("push_relay_upstream_connect_failures_total", "counter");
        expectedTypes.put("push_relay_upstream_connections_open", "gauge");
        expectedTypes.put("push_relay_upstream_streams_active", "gauge");
        expectedTypes.put("push_relay_upstream_retries_total", "counter");
        expectedTypes.put("push_relay_upstream_rx_bytes_total", "counter");
        expectedTypes.put("push_relay_upstream_tx_bytes_total", "counter");
        expectedTypes.put("push_relay_proxy_connect_failures_total", "counter");
        expectedTypes.put("push_relay_tls_handshake_failures_total", "counter");
        expectedTypes.put("push_relay_downstream_connections_accepted_total", "counter");
        expectedTypes.put("push_relay_downstream_connections_refused_total", "counter");
        expectedTypes.put("push_relay_downstream_connections_open", "gauge");
        expectedTypes.put("push_relay_downstream_rx_bytes_total", "counter");
        expectedTypes.put("push_relay_downstream_tx_bytes_total", "counter");
        expectedTypes.put("push_relay_certificate_expiry_days", "gauge");
        expectedTypes.put("push_relay_build_info", "gauge");
        expectedTypes.put("push_relay_netty_memory_used_bytes", "gauge");
        expectedTypes.put("push_relay_access_log_dropped_total", "counter");
        Map<String, String> relayTypes = new TreeMap<>(types);
        relayTypes.keySet().removeIf(name -> !name.startsWith("push_relay_"));
        assertEquals(new TreeMap<>(expectedTypes), relayTypes);
        assertEquals("counter", types.get("process_cpu_seconds_total"));
        assertEquals("gauge", types.get("jvm_memory_used_bytes"));

        Map<String, Double> expected = new LinkedHashMap<>();
        expected.put(key("push_relay_requests_total", "flag", "-", "route", APNS, "status", "200"), 5.0);
        expected.put(key("push_relay_requests_total", "flag", "-", "route", APNS, "status", "410"), 1.0);
        expected.put(key("push_relay_requests_total", "flag", "UT", "route", APNS, "status", "504"), 2.0);
        expected.put(key("push_relay_requests_total", "flag", "-", "route", FCM, "status", "200"), 1.0);
        expected.put(key("push_relay_requests_total", "flag", "NR", "route", "-", "status", "421"), 1.0);
        double[] bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
        for (double le : bounds) {
            String bound = goNumber(le);
            double apnsCount = le < 0.0007 ? 0 : le < 0.012 ? 5 : le < 10 ? 6 : 8;
            expected.put(key("push_relay_request_duration_seconds_bucket", "le", bound, "route", APNS), apnsCount);
            expected.put(key("push_relay_request_duration_seconds_bucket", "le", bound, "route", FCM), le < 0.04 ? 0.0 : 1.0);
            expected.put(key("push_relay_request_duration_seconds_bucket", "le", bound, "route", "-"), 1.0);
        }
        expected.put(key("push_relay_request_duration_seconds_bucket", "le", "+Inf", "route", APNS), 8.0);
        expected.put(key("push_relay_request_duration_seconds_count", "route", APNS), 8.0);
        expected.put(key("push_relay_request_duration_seconds_sum", "route", APNS), 5 * 0.0007 + 0.012 + 20);
        expected.put(key("push_relay_request_duration_seconds_count", "route", FCM), 1.0);
        expected.put(key("push_relay_request_duration_seconds_sum", "route", FCM), 0.04);
        expected.put(key("push_relay_request_duration_seconds_count", "route", "-"), 1.0);
        expected.put(key("push_relay_upstream_connect_attempts_total", "route", APNS), 3.0);
        expected.put(key("push_relay_upstream_connect_failures_total", "reason", "tls", "route", APNS), 1.0);
        expected.put(key("push_relay_upstream_connect_failures_total", "reason", "proxy_refused", "route", APNS), 1.0);
        expected.put(key("push_relay_upstream_connect_failures_total", "reason", "dns", "route", APNS), 0.0);
        expected.put(key("push_relay_upstream_connections_open", "route", APNS), 3.0);
        expected.put(key("push_relay_upstream_streams_active", "route", APNS), 8.0);
        expected.put(key("push_relay_upstream_tx_bytes_total", "route", APNS), 1234.0);
        expected.put(key("push_relay_upstream_rx_bytes_total", "route", APNS), 987_654_321.0);
        expected.put(key("push_relay_upstream_retries_total", "reason", "goaway"), 2.0);
        expected.put(key("push_relay_upstream_retries_total", "reason", "refused_stream"), 1.0);
        expected.put(key("push_relay_upstream_retries_total", "reason", "not_sent"), 0.0);
        expected.put(key("push_relay_proxy_connect_failures_total", "status", "407"), 2.0);
        expected.put(key("push_relay_proxy_connect_failures_total", "status", "none"), 1.0);
        expected.put(key("push_relay_tls_handshake_failures_total", "side", "upstream"), 1.0);
        expected.put(key("push_relay_tls_handshake_failures_total", "side", "downstream"), 1.0);
        expected.put(key("push_relay_downstream_connections_accepted_total", "listener", "pre"), 4.0);
        expected.put(key("push_relay_downstream_connections_open", "listener", "pre"), 3.0);
        expected.put(key("push_relay_downstream_connections_refused_total", "listener", "pre"), 1.0);
        expected.put(key("push_relay_downstream_rx_bytes_total", "listener", "pre"), 5000.0);
        expected.put(key("push_relay_downstream_tx_bytes_total", "listener", "pre"), 6000.0);
        expected.put(key("push_relay_build_info", "version", "7.0.0-test"), 1.0);

        for (Map.Entry<String, Double> e : expected.entrySet()) {
            Double seen = samples.get(e.getKey());
            assertNotNull(seen, "the parser did not see " + e.getKey() + "\n" + parsed.output());
            assertEquals(e.getValue(), seen, 1e-9, e.getKey());
        }
        // Nothing was counted that the test did not record.
        for (Map.Entry<String, Double> e : samples.entrySet()) {
            String name = e.getKey().substring(0, e.getKey().indexOf('{'));
            if ("counter".equals(types.get(name)) && name.startsWith("push_relay_") && !expected.containsKey(e.getKey())) {
                assertEquals(0.0, e.getValue(), e.getKey());
            }
        }
        double days = samples.get(key("push_relay_certificate_expiry_days", "file", CERT_FILE, "subject", CERT_SUBJECT));
        assertEquals(10.0, days, 0.01);
        assertTrue(samples.get(key("push_relay_netty_memory_used_bytes", "type", "direct")) >= 0);
    }

    /** A sample as expfmt_dump prints it: labels sorted by name (callers pass them sorted), Go-quoted. */
    private static String key(String name, String... labels) {
        StringBuilder b = new StringBuilder(name).append('{');
        for (int i = 0; i < labels.length; i += 2) {
            if (i > 0) {
                b.append(',');
            }
            b.append(labels[i]).append('=').append(goQuote(labels[i + 1]));
        }
        return b.append('}').toString();
    }

    /** Go's strconv.Quote for printable ASCII. */
    private static String goQuote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }

    /** Go's strconv.FormatFloat(v, 'g', -1, 64) for the bucket bounds used here. */
    private static String goNumber(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v).replace("5.0E-4", "0.0005");
    }

    private static UpstreamPoolStats pool(int connections, int streams) {
        return new UpstreamPoolStats() {
            @Override
            public int connectionsOpen() {
                return connections;
            }

            @Override
            public int streamsActive() {
                return streams;
            }
        };
    }
}
