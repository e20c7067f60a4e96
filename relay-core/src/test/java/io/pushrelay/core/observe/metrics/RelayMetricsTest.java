package io.pushrelay.core.observe.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.util.ReferenceCountUtil;
import io.pushrelay.certs.CertsException;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.testing.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RelayMetricsTest {
    private static final String APNS = "api.push.apple.com";
    private static final long MS = 1_000_000L;

    private final RelayMetrics metrics = new RelayMetrics("1.2.3", false);

    @Test
    void routeHandleShouldBeCachedPerAuthority() {
        RouteMetrics a = metrics.route(APNS);
        assertSame(a, metrics.route(APNS));
        assertNotSame(a, metrics.route("fcm.googleapis.com"));
        assertEquals(APNS, a.route());
        assertSame(metrics.unrouted(), metrics.route(RelayMetrics.UNROUTED));
    }

    @Test
    void answersShouldBeCountedByStatusAndFlag() {
        RouteMetrics route = metrics.route(APNS);
        for (int i = 0; i < 3; i++) {
            route.upstreamAnswered(200, 2 * MS);
        }
        route.upstreamAnswered(410, 3 * MS);
        route.relayAnswered(RelayError.UPSTREAM_TIMEOUT, 1000 * MS);
        route.relayAnswered(RelayError.UPSTREAM_TIMEOUT, 1000 * MS);
        route.relayAnswered(RelayError.PROXY_REFUSED, 5 * MS);

        assertEquals(3, route.requests(200, RelayMetrics.NO_FLAG));
        assertEquals(1, route.requests(410, RelayMetrics.NO_FLAG));
        assertEquals(2, route.requests(504, "UT"));
        assertEquals(1, route.requests(502, "PR"));
        assertEquals(0, route.requests(503, "UF"));
        assertEquals(7, route.requestDurationCount());
        assertEquals(0.006 + 0.003 + 2.0 + 0.005, route.requestDurationSum(), 1e-9);
        String text = metrics.scrape();
        assertTrue(text.contains("push_relay_requests_total{flag=\"UT\",route=\"api.push.apple.com\",status=\"504\"} 2.0"), text);
        assertTrue(text.contains("push_relay_requests_total{flag=\"-\",route=\"api.push.apple.com\",status=\"200\"} 3.0"), text);
    }

    @Test
    void answeredShouldTellRelayMadeFromUpstreamAnswers() {
        RouteMetrics route = metrics.route(APNS);
        RelayResponse relayMade = RelayResponse.of(RelayError.NO_ROUTE, UnpooledByteBufAllocator.DEFAULT);
        RelayResponse upstream = new RelayResponse(200, new DefaultHttp2Headers(),
                Unpooled.EMPTY_BUFFER, null, "c1");
        try {
            route.answered(relayMade, MS);
            route.answered(upstream, MS);
        } finally {
            relayMade.release();
        }
        assertEquals(1, route.requests(421, "NR"));
        assertEquals(1, route.requests(200, RelayMetrics.NO_FLAG));
    }

    @Test
    void durationShouldLandInItsBucket() {
        RouteMetrics route = metrics.route(APNS);
        route.upstreamAnswered(200, 700_000); // 0.7 ms: above 0.5 ms, within 1 ms
        route.upstreamAnswered(200, 31_000 * MS); // 31 s: only +Inf
        route.upstreamAnswered(200, -5); // clock oddity: counted as 0
        String text = metrics.scrape();
        assertTrue(text.contains("push_relay_request_duration_seconds_bucket{route=\"api.push.apple.com\",le=\"5.0E-4\"} 1"), text);
        assertTrue(text.contains("push_relay_request_duration_seconds_bucket{route=\"api.push.apple.com\",le=\"0.001\"} 2"), text);
        assertTrue(text.contains("push_relay_request_duration_seconds_bucket{route=\"api.push.apple.com\",le=\"30.0\"} 2"), text);
        assertTrue(text.contains("push_relay_request_duration_seconds_bucket{route=\"api.push.apple.com\",le=\"+Inf\"} 3"), text);
        assertEquals(16, text.lines().filter(l -> l.startsWith("push_relay_request_duration_seconds_bucket{route=\"api.push.apple.com\"")).count());
    }

    @Test
    void statusOutsideThreeDigitsShouldBeLabelledInvalid() {
        metrics.route(APNS).upstreamAnswered(42, MS);
        metrics.route(APNS).upstreamAnswered(1200, MS);
        assertTrue(metrics.scrape().contains("push_relay_requests_total{flag=\"-\",route=\"api.push.apple.com\",status=\"invalid\"} 2.0"));
    }

    @Test
    void unroutedSeriesShouldAppearWithTheFirstUnroutedRequest() {
        assertFalse(metrics.scrape().contains("route=\"-\""));
        metrics.unrouted().relayAnswered(RelayError.NO_ROUTE, MS);
        assertTrue(metrics.scrape().contains("push_relay_requests_total{flag=\"NR\",route=\"-\",status=\"421\"} 1.0"));
    }

    @Test
    void connectAttemptsAndFailuresShouldBeCountedByReason() {
        RouteMetrics route = metrics.route(APNS);
        route.connectAttempted();
        route.connectAttempted();
        route.connectAttempted();
        route.connectFailed(ConnectFailure.PROXY_REFUSED);
        route.connectFailed(ConnectFailure.TLS);
        route.connectFailed(ConnectFailure.TLS);
        assertEquals(3, route.connectAttempts());
        assertEquals(1, route.connectFailures(ConnectFailure.PROXY_REFUSED));
        assertEquals(2, route.connectFailures(ConnectFailure.TLS));
        assertEquals(0, route.connectFailures(ConnectFailure.DNS));
        // Every reason is there from the start, so that rate() sees the first failure.
        String text = metrics.scrape();
        for (ConnectFailure reason : ConnectFailure.values()) {
            assertTrue(text.contains("push_relay_upstream_connect_failures_total{reason=\"" + reason.label()
                    + "\",route=\"api.push.apple.com\"}"), reason.label());
        }
    }

    @Test
    void proxyFailuresTlsFailuresAndRetriesShouldBeCounted() {
        metrics.proxyConnectFailed(407);
        metrics.proxyConnectFailed(407);
        metrics.proxyConnectFailed(403);
        metrics.proxyConnectFailed(0);
        metrics.tlsHandshakeFailed(TlsSide.UPSTREAM);
        metrics.listener("pre").tlsHandshakeFailed();
        metrics.listener("pre").tlsHandshakeFailed();
        metrics.upstreamRetried(RetryReason.REFUSED_STREAM);
        metrics.upstreamRetried(RetryReason.GOAWAY);
        metrics.upstreamRetried(RetryReason.GOAWAY);

        assertEquals(2, metrics.proxyConnectFailures(407));
        assertEquals(1, metrics.proxyConnectFailures(403));
        assertEquals(1, metrics.proxyConnectFailures(0));
        assertEquals(0, metrics.proxyConnectFailures(502));
        assertEquals(1, metrics.tlsHandshakeFailures(TlsSide.UPSTREAM));
        assertEquals(2, metrics.tlsHandshakeFailures(TlsSide.DOWNSTREAM));
        assertEquals(1, metrics.upstreamRetries(RetryReason.REFUSED_STREAM));
        assertEquals(2, metrics.upstreamRetries(RetryReason.GOAWAY));
        assertEquals(0, metrics.upstreamRetries(RetryReason.NOT_SENT));
        String text = metrics.scrape();
        assertTrue(text.contains("push_relay_proxy_connect_failures_total{status=\"none\"} 1.0"), text);
        assertTrue(text.contains("push_relay_tls_handshake_failures_total{side=\"downstream\"} 2.0"), text);
        assertTrue(text.contains("push_relay_upstream_retries_total{reason=\"not_sent\"} 0.0"), text);
    }

    @Test
    void listenerShouldCountAcceptedRefusedAndOpenConnections() {
        ListenerMetrics listener = metrics.listener("pre-tls");
        assertSame(listener, metrics.listener("pre-tls"));
        listener.connectionAccepted();
        listener.connectionAccepted();
        listener.connectionAccepted();
        listener.connectionClosed();
        listener.connectionRefused();
        listener.connectionRefused();
        assertEquals(3, listener.accepted());
        assertEquals(2, listener.refused());
        assertEquals(2, listener.open());
        String text = metrics.scrape();
        assertTrue(text.contains("push_relay_downstream_connections_open{listener=\"pre-tls\"} 2.0"), text);
        assertTrue(text.contains("push_relay_downstream_connections_refused_total{listener=\"pre-tls\"} 2.0"), text);
    }

    @Test
    void trafficHandlerShouldCountBytesBothWaysAndPassThemOn() {
        RouteMetrics counted = metrics.route("count.example");
        EmbeddedChannel ch = new EmbeddedChannel(counted.upstreamTrafficHandler());
        try {
            ch.writeInbound(Unpooled.copiedBuffer("0123456789", StandardCharsets.US_ASCII));
            ch.writeInbound(new DefaultHttpContent(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII)));
            ch.writeInbound("not a buffer");
            ch.writeOutbound(Unpooled.copiedBuffer("1234567", StandardCharsets.US_ASCII));
            ByteBuf in = ch.readInbound();
            assertEquals("0123456789", in.toString(StandardCharsets.US_ASCII));
            in.release();
            ReferenceCountUtil.release(ch.readInbound());
            assertEquals("not a buffer", ch.readInbound());
            ByteBuf out = ch.readOutbound();
            assertEquals(7, out.readableBytes());
            out.release();
        } finally {
            ch.finishAndReleaseAll();
        }
        assertEquals(13, counted.upstreamRxBytes());
        assertEquals(7, counted.upstreamTxBytes());
        ListenerMetrics listener = metrics.listener("l");
        listener.received(13);
        listener.sent(7);
        assertEquals(13, listener.rxBytes());
        assertEquals(7, listener.txBytes());

        RouteMetrics route = metrics.route(APNS);
        route.upstreamSent(100);
        route.upstreamReceived(40);
        EmbeddedChannel up = new EmbeddedChannel(route.upstreamTrafficHandler());
        try {
            up.writeOutbound(Unpooled.wrappedBuffer(new byte[11]));
        } finally {
            up.finishAndReleaseAll();
        }
        assertEquals(111, route.upstreamTxBytes());
        assertEquals(40, route.upstreamRxBytes());
    }

    @Test
    void poolGaugesShouldSumPoolsOfARouteAndLeaveWhenClosed() {
        Registration a = metrics.route(APNS).registerPool(stats(2, 7));
        Registration b = metrics.registerUpstreamPool(APNS, stats(1, 3));
        Registration c = metrics.registerUpstreamPool("fcm.googleapis.com", stats(1, 0));
        Registration broken = metrics.registerUpstreamPool("broken", new UpstreamPoolStats() {
            @Override
            public int connectionsOpen() {
                throw new IllegalStateException("pool closed");
            }

            @Override
            public int streamsActive() {
                throw new IllegalStateException("pool closed");
            }
        });
        String text = metrics.scrape();
        assertTrue(text.contains("push_relay_upstream_connections_open{route=\"api.push.apple.com\"} 3.0"), text);
        assertTrue(text.contains("push_relay_upstream_streams_active{route=\"api.push.apple.com\"} 10.0"), text);
        assertTrue(text.contains("push_relay_upstream_connections_open{route=\"fcm.googleapis.com\"} 1.0"), text);
        assertFalse(text.contains("route=\"broken\""), text);
        b.close();
        b.close();
        broken.close();
        text = metrics.scrape();
        assertTrue(text.contains("push_relay_upstream_connections_open{route=\"api.push.apple.com\"} 2.0"), text);
        a.close();
        c.close();
        assertFalse(metrics.scrape().contains("push_relay_upstream_connections_open{"));
    }

    @Test
    void certificateExpiryShouldBeReadFromPemFilesInDays(@TempDir Path dir) {
        TestPki pki = TestPki.create(dir, "Test CA");
        TestPki.LeafFiles server = pki.server("relay", APNS);
        List<CertificateExpiry> chain = CertificateExpiry.readFile(server.chain());
        assertFalse(chain.isEmpty());
        X509Certificate leaf = server.leaf().certificate();
        CertificateExpiry first = chain.get(0);
        assertEquals(server.chain().toString(), first.file());
        assertEquals(leaf.getSubjectX500Principal().getName(), first.subject());
        assertEquals(leaf.getNotAfter().toInstant(), first.notAfter());

        Instant now = first.notAfter().minus(Duration.ofDays(30)).minus(Duration.ofHours(12));
        RelayMetrics fixed = new RelayMetrics("1.2.3", false, Clock.fixed(now, ZoneOffset.UTC));
        fixed.registerCertificates(() -> chain);
        fixed.registerCertificates(() -> chain); // the same file twice: one series each
        AtomicInteger calls = new AtomicInteger();
        fixed.registerCertificates(() -> {
            calls.incrementAndGet();
            throw new CertsException("read /missing.pem", "no such file");
        });
        String text = fixed.scrape();
        String line = "push_relay_certificate_expiry_days{file=\"" + server.chain() + "\",subject=\""
                + first.subject() + "\"} 30.5";
        assertTrue(text.contains(line), text);
        assertEquals(chain.size(), text.lines().filter(l -> l.startsWith("push_relay_certificate_expiry_days{")).count());
        assertEquals(1, calls.get());
        assertEquals(-1.25, first.daysLeft(first.notAfter().plus(Duration.ofHours(30))), 1e-9);
    }

    @Test
    void certificateFileWithoutCertificateShouldFailNamingIt(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.pem"), "nothing here\n");
        CertsException e = assertThrows(CertsException.class, () -> CertificateExpiry.readFile(empty));
        assertTrue(e.getMessage().contains("empty.pem"), e.getMessage());
    }

    @Test
    void buildInfoShouldCarryTheVersion() {
        assertTrue(metrics.scrape().contains("push_relay_build_info{version=\"1.2.3\"} 1"));
        assertEquals("1.2.3", metrics.version());
        assertFalse(RelayMetrics.buildVersion().isBlank());
    }

    @Test
    void jvmMetricsShouldBeThereOnlyWhenAsked() {
        assertFalse(metrics.scrape().contains("jvm_"));
        String text = new RelayMetrics("x", true).scrape();
        assertTrue(text.contains("jvm_memory_used_bytes{area=\"heap\"}"), text);
        assertTrue(text.contains("process_open_fds"), text);
        assertTrue(text.contains("jvm_threads_current"), text);
        assertTrue(text.contains("push_relay_netty_memory_used_bytes{type=\"direct\"}"), text);
    }

    @Test
    void twoRelaysInOneJvmShouldKeepSeparateCounts() {
        RelayMetrics other = new RelayMetrics("1.2.3", true);
        RelayMetrics third = new RelayMetrics("1.2.3", true);
        metrics.route(APNS).upstreamAnswered(200, MS);
        other.route(APNS).upstreamAnswered(200, MS);
        other.route(APNS).upstreamAnswered(200, MS);
        assertEquals(1, metrics.route(APNS).requests(200, "-"));
        assertEquals(2, other.route(APNS).requests(200, "-"));
        assertEquals(0, third.route(APNS).requests(200, "-"));
        assertNotSame(metrics.registry(), other.registry());
    }

    @Test
    void routesPastTheLimitShouldShareTheOverflowLabel() {
        for (int i = 0; i < RelayMetrics.MAX_ROUTES; i++) {
            assertEquals("r" + i, metrics.route("r" + i).route());
        }
        RouteMetrics overflow = metrics.route("one-too-many");
        assertEquals(RelayMetrics.OVERFLOW, overflow.route());
        assertSame(overflow, metrics.route("and-another"));
        assertEquals("r5", metrics.route("r5").route());
        for (int i = 0; i < RelayMetrics.MAX_LISTENERS; i++) {
            metrics.listener("l" + i);
        }
        assertEquals(RelayMetrics.OVERFLOW, metrics.listener("extra").name());
    }

    @Test
    void concurrentRecordingShouldLoseNothing() throws Exception {
        RouteMetrics route = metrics.route(APNS);
        int threads = 4;
        int perThread = 20_000;
        int[] statuses = {200, 400, 410, 429, 500, 503};
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        route.upstreamAnswered(statuses[i % statuses.length], MS);
                        route.relayAnswered(RelayError.values()[i % RelayError.values().length], MS);
                        metrics.proxyConnectFailed(407);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        long upstream = 0;
        for (int status : statuses) {
            upstream += route.requests(status, RelayMetrics.NO_FLAG);
        }
        long relay = 0;
        for (RelayError error : RelayError.values()) {
            relay += route.requests(error.status(), error.flag());
        }
        assertEquals((long) threads * perThread, upstream);
        assertEquals((long) threads * perThread, relay);
        assertEquals(2L * threads * perThread, route.requestDurationCount());
        assertEquals((long) threads * perThread, metrics.proxyConnectFailures(407));
    }

    private static UpstreamPoolStats stats(int connections, int streams) {
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
