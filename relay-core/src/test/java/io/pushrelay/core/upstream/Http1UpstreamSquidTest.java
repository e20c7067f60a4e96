package io.pushrelay.core.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslHandler;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.connect.ConnectorConfig;
import io.pushrelay.core.connect.ProxyConfig;
import io.pushrelay.core.connect.UpstreamPipeline;
import io.pushrelay.core.connect.UpstreamProtocol;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.H1TestServer;
import io.pushrelay.core.testing.Nghttpd;
import io.pushrelay.core.testing.Ports;
import io.pushrelay.core.testing.Squid;
import io.pushrelay.core.testing.TestPki;
import io.pushrelay.core.transport.Transports;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP/1.1 upstream of a chained relay-pre with Squid in the middle: as the corporate
 * {@code CONNECT} proxy (the tunnel carries TLS to the via endpoint), and as the legacy
 * TLS-inspecting proxy ({@code ssl-bump}) that decrypts, logs and forwards every request, which
 * is what the chain exists for. The via endpoint is a Netty HTTP/1.1 server, and nghttpx in front
 * of nghttpd (HTTP/1.1 in, HTTP/2 out: relay-post's shape).
 */
class Http1UpstreamSquidTest {
    private static final String APNS = "api.push.apple.com";
    private static final String POST = "relay-post.test";
    private static final Route ROUTE = Route.of(RouteKind.APNS, APNS, APNS, 443);

    @TempDir
    static Path dir;
    static EventLoopGroup group;
    static TestPki postPki;
    static TestPki bumpPki;
    static TestPki.LeafFiles postCert;
    static H1TestServer server;
    /** The legacy TLS-inspecting proxy in front of {@link #server}; its log is read while it runs. */
    static Squid bump;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @BeforeAll
    static void setUp() {
        group = Transports.newGroup("h1-squid-test", 1);
        postPki = TestPki.create(dir.resolve("post-pki"), "relay-post CA", POST);
        postCert = postPki.server("post", POST);
        bumpPki = TestPki.createUnconstrained(dir.resolve("bump-pki"), "corporate inspection CA");
        server = H1TestServer.builder().tls(postCert.chain(), postCert.key()).start();
        bump = Squid.builder().directory(dir).allowPorts(server.port()).hosts(POST)
                .sslBump(bumpPki.caPem(), bumpPki.caKey()).trustUpstream(postPki.caPem()).start();
    }

    @AfterAll
    static void tearDown() {
        if (bump != null) {
            bump.close();
        }
        if (server != null) {
            server.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private <T extends AutoCloseable> T closing(T t) {
        closeables.add(t);
        return t;
    }

    /** relay-pre's upstream for {@code via: {url: https://relay-post.test:PORT, ca: viaCa}} through {@code proxy}. */
    private Http1Upstream upstream(ProxyConfig proxy, Path viaCa, int port, Http1UpstreamConfig config) {
        Connector connector = closing(new Connector(ConnectorConfig.direct().withProxy(proxy).withUpstreamCa(viaCa)
                .withProtocol(UpstreamProtocol.HTTP_1_1).withConnectTimeout(Duration.ofSeconds(3))
                .withHandshakeTimeout(Duration.ofSeconds(3))));
        return closing(new Http1Upstream(connector, new ViaEndpoint(true, POST, port), config, group));
    }

    private static Http1UpstreamConfig config() {
        return Http1UpstreamConfig.defaults().withRequestTimeout(Duration.ofSeconds(5))
                .withBackoff(Duration.ofMillis(20), Duration.ofMillis(200));
    }

    private static ResponseLog run(Http1Upstream upstream, int n, int inFlight, String prefix, List<String> tokens) {
        EventLoop loop = group.next();
        ResponseLog log = new ResponseLog(inFlight);
        for (int i = 0; i < n; i++) {
            log.acquire();
            String id = prefix + i;
            String token = Requests.deviceToken();
            tokens.add(token);
            loop.execute(() -> upstream.send(ROUTE, Requests.push(APNS, token, "bearer e30.e30.sig", id),
                    log.sink(id)));
        }
        log.awaitAnswers(n, Duration.ofSeconds(60));
        return log;
    }

    private static void assertAllOk(ResponseLog log, int n) {
        assertEquals(n, log.answers.size());
        assertEquals(0, log.duplicates());
        assertEquals(Map.of(200, (long) n), log.byOutcome());
    }

    @Test
    void throughSquidsConnectThousandsOfRequestsTravelInAFewTunnels() throws Exception {
        try (Squid squid = Squid.builder().directory(dir).allowPorts(server.port()).hosts(POST)
                .basicAuth("alice", "s3cret").start()) {
            ProxyConfig proxy = ProxyConfig.parse("http://alice@127.0.0.1:" + squid.port()).withPassword("s3cret");
            Http1Upstream upstream = upstream(proxy, postPki.caPem(), server.port(), config());
            int before = server.processed();
            int n = 1000;
            long start = System.nanoTime();
            ResponseLog log = run(upstream, n, 8, "connect", new ArrayList<>());
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertAllOk(log, n);
            assertEquals(before + n, server.processed());
            Http1UpstreamStats stats = upstream.stats();
            assertTrue(stats.connectionsOpened() <= 8, stats.toString());
            List<Channel> channels = upstream.channels();
            assertEquals(List.of(UpstreamPipeline.UPSTREAM_H1_METER, UpstreamPipeline.UPSTREAM_TLS,
                    UpstreamPipeline.UPSTREAM_H1_DECODER, UpstreamPipeline.UPSTREAM_H1),
                    channels.get(0).pipeline().names().subList(0, 4));

            ProxyConfig wrong = ProxyConfig.parse("http://alice@127.0.0.1:" + squid.port()).withPassword("nope");
            ResponseLog refused = run(upstream(wrong, postPki.caPem(), server.port(), config()), 1, 1, "wrong",
                    new ArrayList<>());
            assertEquals(RelayError.PROXY_REFUSED, refused.answers.get("wrong0").error());

            upstream.close(); // CONNECT lines are logged when their tunnel closes
            squid.stop();
            List<Squid.AccessLogEntry> connects = squid.accessLog().stream()
                    .filter(e -> e.isConnect() && e.status() == 200).toList();
            assertEquals(stats.connectionsOpened(), connects.size(), connects::toString);
            assertTrue(connects.stream().allMatch(e -> e.user().equals("alice")
                    && e.url().equals(POST + ":" + server.port())), connects::toString);
            System.out.printf("http1 upstream through Squid CONNECT: %d requests in %d ms, %d tunnels%n", n, millis,
                    connects.size());
        }
    }

    @Test
    void throughSslBumpSquidSeesAndLogsEveryRequest() throws Exception {
        // The via CA must be the inspecting proxy's: Squid shows its own certificate for relay-post.test.
        Http1Upstream upstream = upstream(ProxyConfig.parse(bump.url()), bumpPki.caPem(), server.port(), config());
        int before = server.requests().size();
        int n = 1000;
        List<String> tokens = new ArrayList<>();
        long start = System.nanoTime();
        ResponseLog log = run(upstream, n, 8, "bump", tokens);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertAllOk(log, n);

        Channel ch = upstream.channels().get(0);
        X509Certificate seen = (X509Certificate) ((SslHandler) ch.pipeline().get(UpstreamPipeline.UPSTREAM_TLS))
                .engine().getSession().getPeerCertificates()[0];
        assertEquals(bumpPki.ca().certificate().getSubjectX500Principal(), seen.getIssuerX500Principal(),
                "the certificate relay-pre sees comes from the inspecting proxy");

        List<H1TestServer.Recorded> arrived = server.requests().subList(before, server.requests().size());
        assertEquals(n, arrived.size());
        for (H1TestServer.Recorded r : arrived) {
            assertEquals(POST + ":" + server.port(), r.header("host"));
            assertEquals("host=\"api.push.apple.com\";proto=https", r.header("forwarded"));
            assertEquals("bearer e30.e30.sig", r.header("authorization"));
            assertTrue(r.header("via").contains("squid"), r.header("via"));
        }
        Http1UpstreamStats stats = upstream.stats();
        assertTrue(stats.connectionsOpened() <= 8, stats.toString());

        // One audit line per request, written as each is answered.
        java.util.Set<String> expected = new java.util.HashSet<>();
        for (String token : tokens) {
            expected.add("https://" + POST + ":" + server.port() + "/3/device/" + token);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<Squid.AccessLogEntry> audited;
        do {
            audited = bump.accessLog().stream().filter(e -> e.method().equals("POST") && expected.contains(e.url()))
                    .toList();
        } while (audited.size() < n && System.nanoTime() < deadline && sleep());
        assertEquals(n, audited.size(), "one audit line per request");
        assertEquals(n, audited.stream().map(Squid.AccessLogEntry::url).distinct().count());
        assertTrue(audited.stream().allMatch(e -> e.status() == 200), audited::toString);
        System.out.printf("http1 upstream through Squid ssl-bump: %d requests in %d ms (%.0f req/s), "
                + "%d connections%n", n, millis, n * 1000.0 / millis, stats.connectionsOpened());
    }

    private static boolean sleep() {
        try {
            Thread.sleep(20);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Test
    void throughSslBumpHostMustNameTheViaEndpoint() {
        // Squid forwards a bumped request only to the tunnel's host and port: Host naming the
        // authority instead (AuthorityHeader.HOST) gets Squid's own 503, which is why the
        // authority travels in Forwarded by default.
        int before = server.requests().size();
        Http1Upstream upstream = upstream(ProxyConfig.parse(bump.url()), bumpPki.caPem(), server.port(),
                config().withAuthority(Http1UpstreamConfig.AuthorityHeader.HOST));
        ResponseLog log = run(upstream, 3, 1, "host", new ArrayList<>());
        for (ResponseLog.Answer a : log.answers.values()) {
            assertEquals(503, a.status());
            assertNull(a.error(), "Squid's answer, relayed");
        }
        assertEquals(before, server.requests().size(), "nothing reached the via endpoint");
    }

    @Test
    void theChainsShapeThroughSslBumpToNghttpxAndNghttpd() throws Exception {
        TestPki.LeafFiles apnsCert = postPki.server("apns", APNS);
        Path docroot = Files.createDirectories(dir.resolve("htdocs"));
        int frontend = Ports.closed();
        try (Nghttpd nghttpd = Nghttpd.builder(apnsCert.chain(), apnsCert.key(), docroot).echoUpload().start();
             ExternalProcess nghttpx = ExternalProcess.start("nghttpx", dir.resolve("nghttpx.log"), Map.of(),
                     List.of(nghttpx(), "--conf=/dev/null", "--no-ocsp", "-n1", "-f127.0.0.1," + frontend,
                             "-b127.0.0.1," + nghttpd.port() + ";;proto=h2;tls;sni=" + APNS,
                             "--cacert=" + postPki.caPem(), postCert.key().toString(), postCert.chain().toString()));
             Squid squid = Squid.builder().directory(dir).allowPorts(frontend).hosts(POST)
                     .sslBump(bumpPki.caPem(), bumpPki.caKey()).trustUpstream(postPki.caPem()).start()) {
            awaitListening(nghttpx, frontend);
            Http1Upstream upstream = upstream(ProxyConfig.parse(squid.url()), bumpPki.caPem(), frontend, config());
            int n = 200;
            ResponseLog log = run(upstream, n, 8, "chain", new ArrayList<>());
            assertAllOk(log, n);
            String echoed = new String(Requests.PAYLOAD, StandardCharsets.UTF_8);
            assertTrue(log.answers.values().stream().allMatch(a -> a.body().equals(echoed)),
                    "nghttpd echoed each body through nghttpx and Squid");
            upstream.close();
            squid.stop();
            assertEquals(n, squid.accessLog().stream().filter(e -> e.method().equals("POST") && e.status() == 200
                    && e.url().startsWith("https://" + POST + ":" + frontend + "/3/device/")).count());
        }
    }

    private static String nghttpx() {
        for (String p : List.of("/usr/sbin/nghttpx", "/usr/bin/nghttpx")) {
            if (Files.isExecutable(Paths.get(p))) {
                return p;
            }
        }
        throw new IllegalStateException("nghttpx is not installed (apt-get install nghttp2-proxy)");
    }

    private static void awaitListening(ExternalProcess process, int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("nghttpx exited: " + process.output());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("nghttpx not listening on " + port + ": " + process.output());
    }

}
