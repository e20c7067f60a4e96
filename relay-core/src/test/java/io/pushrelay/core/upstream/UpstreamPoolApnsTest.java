package io.pushrelay.core.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.eatthepath.pushy.apns.auth.ApnsSigningKey;
import com.eatthepath.pushy.apns.auth.ApnsVerificationKey;
import com.eatthepath.pushy.apns.auth.AuthenticationToken;
import com.eatthepath.pushy.apns.server.MockApnsServer;
import com.eatthepath.pushy.apns.server.MockApnsServerBuilder;
import com.eatthepath.pushy.apns.server.MockApnsServerListener;
import com.eatthepath.pushy.apns.server.PushNotificationHandlerFactory;
import com.eatthepath.pushy.apns.server.RejectedNotificationException;
import com.eatthepath.pushy.apns.server.RejectionReason;
import com.eatthepath.pushy.apns.server.ValidatingPushNotificationHandlerFactory;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.Http2Headers;
import io.pushrelay.core.connect.ClientIdentity;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.connect.ConnectorConfig;
import io.pushrelay.core.connect.ProxyConfig;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import io.pushrelay.core.testing.Squid;
import io.pushrelay.core.testing.TestPki;
import io.pushrelay.core.transport.Transports;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pool against Pushy's mock APNS server with ALPN and APNS-like validation (provider tokens
 * signed per key and team, one team per connection, device tokens per topic), directly and
 * through Squid.
 */
class UpstreamPoolApnsTest {
    private static final String APNS = "api.push.apple.com";
    private static final String TEAM_A = "TEAMAAAAAA";
    private static final String TEAM_B = "TEAMBBBBBB";

    @TempDir
    static Path dir;
    static EventLoopGroup group;
    static EventLoopGroup mockGroup;
    static TestPki pki;
    static TestPki.LeafFiles cert;
    static String authA;
    static String authB;
    static Map<String, ApnsVerificationKey> keysById = new HashMap<>();
    static Map<ApnsVerificationKey, Set<String>> topicsByKey = new HashMap<>();
    static Set<String> deviceTokens = new HashSet<>();
    static String expiredToken;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger rejected = new AtomicInteger();

    @BeforeAll
    @SuppressWarnings("deprecation") // Pushy 0.15 takes only the classic group types
    static void setUp() throws Exception {
        group = Transports.newGroup("pool-apns-test", 2);
        mockGroup = new io.netty.channel.nio.NioEventLoopGroup(2);
        pki = TestPki.create(dir.resolve("pki"), "apns test CA");
        cert = pki.server("apns", APNS);
        authA = providerToken("KEYAAAAAAA", TEAM_A);
        authB = providerToken("KEYBBBBBBB", TEAM_B);
        for (int i = 0; i < 16; i++) {
            deviceTokens.add(Requests.deviceToken());
        }
        expiredToken = Requests.deviceToken();
        deviceTokens.add(expiredToken);
    }

    @AfterAll
    static void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        mockGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    /** A provider token as Pushy's client makes it (ES256, DER signature), and its key for the mock. */
    private static String providerToken(String keyId, String teamId) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        ApnsSigningKey signing = new ApnsSigningKey(keyId, teamId, (ECPrivateKey) pair.getPrivate());
        ApnsVerificationKey verification = new ApnsVerificationKey(keyId, teamId, (ECPublicKey) pair.getPublic());
        keysById.put(keyId, verification);
        topicsByKey.put(verification, Set.of(Requests.TOPIC));
        return new AuthenticationToken(signing, Instant.now()).getAuthorizationHeader().toString();
    }

    private MockApnsServerBuilder mockBuilder() {
        return new MockApnsServerBuilder()
                .setServerCredentials(cert.chain().toFile(), cert.key().toFile(), null)
                .setEventLoopGroup(mockGroup)
                .setUseAlpn(true)
                .setListener(new MockApnsServerListener() {
                    @Override
                    public void handlePushNotificationAccepted(Http2Headers headers, ByteBuf payload) {
                        accepted.incrementAndGet();
                    }

                    @Override
                    public void handlePushNotificationRejected(Http2Headers headers, ByteBuf payload,
                                                               RejectionReason reason, Instant expiry) {
                        rejected.incrementAndGet();
                    }
                });
    }

    private ValidatingPushNotificationHandlerFactory validating() {
        return new ValidatingPushNotificationHandlerFactory(Map.of(Requests.TOPIC, deviceTokens),
                Map.of(expiredToken, Instant.now().minusSeconds(3600)), keysById, topicsByKey);
    }

    private int start(MockApnsServerBuilder builder) throws Exception {
        MockApnsServer mock = builder.build();
        int port = (Integer) mock.start(0).get(10, TimeUnit.SECONDS);
        closeables.add(() -> mock.shutdown().get(10, TimeUnit.SECONDS));
        return port;
    }

    private UpstreamPool pool(ConnectorConfig connectorConfig, UpstreamConfig config) {
        Connector connector = new Connector(connectorConfig);
        closeables.add(connector);
        UpstreamPool pool = new UpstreamPool(connector, config, group);
        closeables.add(pool);
        return pool;
    }

    private static ConnectorConfig trusting() {
        return ConnectorConfig.direct().withUpstreamCa(pki.caPem());
    }

    private static String token(int i) {
        return new ArrayList<>(deviceTokens).stream().filter(t -> !t.equals(expiredToken)).toList()
                .get(i % (deviceTokens.size() - 1));
    }

    /** Sends n notifications with at most inFlight unanswered; authorization picked per index. */
    private static ResponseLog run(UpstreamPool pool, Route route, int n, int inFlight,
                                   java.util.function.IntFunction<String> authorization) {
        ResponseLog log = new ResponseLog(inFlight);
        for (int i = 0; i < n; i++) {
            log.acquire();
            String id = "n" + i;
            pool.send(route, Requests.push(APNS, token(i), authorization.apply(i), id), log.sink(id));
        }
        log.awaitAnswers(n, Duration.ofSeconds(60));
        assertEquals(0, log.duplicates());
        return log;
    }

    private static void assertAllAccepted(ResponseLog log, int n) {
        assertEquals(Map.of(200, (long) n), log.byOutcome());
        for (ResponseLog.Answer a : log.answers.values()) {
            assertNull(a.error());
            UUID.fromString(a.apnsId()); // APNS answers 200 with an apns-id
            assertTrue(a.connection().matches("u\\d+"), a.connection());
        }
    }

    @Test
    void thousandsOfNotificationsWithManyInFlightAreAllAccepted() throws Exception {
        int port = start(mockBuilder().setHandlerFactory(validating()));
        UpstreamPool pool = pool(trusting(), UpstreamConfig.defaults());
        // The mock verifies every token's ECDSA signature (about 2 ms each here): 2000 keep this quick.
        int n = 2000;
        ResponseLog log = run(pool, Route.of(RouteKind.APNS, APNS, "127.0.0.1", port), n, 150, i -> authA);
        assertAllAccepted(log, n);
        assertEquals(n, accepted.get());
        assertEquals(0, rejected.get());
        UpstreamStats stats = pool.stats();
        assertEquals(n, stats.requests());
        assertEquals(n, stats.responses());
        assertEquals(0, stats.streamsInFlight());
        assertEquals(0, stats.pendingRequests());
        assertTrue(stats.connectionsOpen() >= 1 && stats.connectionsOpen() <= 2, stats.toString());
    }

    @Test
    void apnsRejectionsPassThroughUntouched() throws Exception {
        int port = start(mockBuilder().setHandlerFactory(validating()));
        UpstreamPool pool = pool(trusting(), UpstreamConfig.defaults());
        Route route = Route.of(RouteKind.APNS, APNS, "127.0.0.1", port);
        ResponseLog log = new ResponseLog(3);
        log.acquire();
        pool.send(route, Requests.push(APNS, "1234abcd", authA, "bad"), log.sink("bad"));
        log.acquire();
        pool.send(route, Requests.push(APNS, expiredToken, authA, "gone"), log.sink("gone"));
        log.acquire();
        pool.send(route, Requests.push(APNS, Requests.deviceToken(), authA, "other"), log.sink("other"));
        log.awaitAnswers(3, Duration.ofSeconds(10));

        ResponseLog.Answer bad = log.answers.get("bad");
        assertEquals(400, bad.status());
        assertNull(bad.error(), "the upstream's answer, not a relay error");
        assertEquals("{\"reason\":\"BadDeviceToken\"}", bad.body());
        ResponseLog.Answer gone = log.answers.get("gone");
        assertEquals(410, gone.status());
        assertTrue(gone.body().startsWith("{\"reason\":\"Unregistered\",\"timestamp\":"), gone.body());
        ResponseLog.Answer other = log.answers.get("other");
        assertEquals(400, other.status());
        assertEquals("{\"reason\":\"DeviceTokenNotForTopic\"}", other.body());
        assertEquals(3, rejected.get());
    }

    @Test
    void throughSquidTheRelayNeverResolvesTheName() throws Exception {
        int port = start(mockBuilder().setHandlerFactory(validating()));
        Route route = Route.of(RouteKind.APNS, APNS, APNS, port);
        int n = 2000;
        Set<String> connections = new HashSet<>();
        try (Squid squid = Squid.builder().allowPorts(port).basicAuth("relay", "pw").start()) {
            UpstreamPool pool = pool(trusting().withProxy(
                    ProxyConfig.parse("http://relay@127.0.0.1:" + squid.port()).withPassword("pw")),
                    UpstreamConfig.defaults());
            ResponseLog log = run(pool, route, n, 150, i -> authA);
            assertAllAccepted(log, n);
            log.answers.values().forEach(a -> connections.add(a.connection()));
            pool.close();

            UpstreamPool wrongPassword = pool(trusting().withProxy(
                    ProxyConfig.parse("http://relay@127.0.0.1:" + squid.port()).withPassword("nope")),
                    UpstreamConfig.defaults());
            ResponseLog refused = run(wrongPassword, route, 2, 2, i -> authA);
            for (ResponseLog.Answer a : refused.answers.values()) {
                assertEquals(RelayError.PROXY_REFUSED, a.error(), a.toString());
                assertEquals(502, a.status());
                assertEquals("{\"reason\":\"RelayProxyRefused\"}", a.body());
            }
            wrongPassword.close();
            squid.stop();
            List<Squid.AccessLogEntry> tunnels = squid.accessLog().stream()
                    .filter(e -> e.isConnect() && e.url().equals(APNS + ":" + port) && e.status() == 200
                            && e.user().equals("relay"))
                    .toList();
            assertEquals(connections.size(), tunnels.size(), squid.accessLog().toString());
        }
        assertEquals(n, accepted.get());
    }

    @Test
    void eachTeamGetsItsOwnConnections() throws Exception {
        // The mock, like APNS, rejects a second team on a connection (403 InvalidProviderToken).
        int port = start(mockBuilder().setHandlerFactory(validating()));
        UpstreamPool pool = pool(trusting(), UpstreamConfig.defaults());
        int n = 600;
        ResponseLog log = run(pool, Route.of(RouteKind.APNS, APNS, "127.0.0.1", port), n, 100,
                i -> i % 2 == 0 ? authA : authB);
        assertAllAccepted(log, n);
        Set<String> teamA = new HashSet<>();
        Set<String> teamB = new HashSet<>();
        for (ResponseLog.Answer a : log.answers.values()) {
            int i = Integer.parseInt(a.id().substring(1));
            (i % 2 == 0 ? teamA : teamB).add(a.connection());
        }
        assertTrue(teamA.stream().noneMatch(teamB::contains), teamA + " / " + teamB);
        assertEquals(n, accepted.get());
    }

    @Test
    void lowMaxConcurrentStreamsSpreadsOverMoreConnections() throws Exception {
        int port = start(mockBuilder().setHandlerFactory(validating()).setMaxConcurrentStreams(3));
        UpstreamPool pool = pool(trusting(), UpstreamConfig.defaults());
        int n = 600;
        ResponseLog log = run(pool, Route.of(RouteKind.APNS, APNS, "127.0.0.1", port), n, 60, i -> authA);
        assertAllAccepted(log, n);
        Set<String> connections = new HashSet<>();
        log.answers.values().forEach(a -> connections.add(a.connection()));
        // 2 event loops x up to 4 connections each.
        assertTrue(connections.size() > 2 && connections.size() <= 8, connections.toString());
    }

    @Test
    void certificateAuthPresentsTheClientCertificate() throws Exception {
        TestPki clients = TestPki.create(dir.resolve("clients"), "apns client CA");
        TestPki.LeafFiles client = clients.client("relay-client");
        PushNotificationHandlerFactory byCertificate = session -> {
            String subject;
            try {
                subject = ((X509Certificate) session.getPeerCertificates()[0]).getSubjectX500Principal().getName();
            } catch (SSLPeerUnverifiedException e) {
                subject = "";
            }
            boolean ours = subject.contains("CN=relay-client");
            return (headers, payload) -> {
                if (!ours) {
                    throw new RejectedNotificationException(RejectionReason.BAD_CERTIFICATE);
                }
            };
        };
        int port = start(mockBuilder().setHandlerFactory(byCertificate)
                .setTrustedClientCertificateChain(clients.caPem().toFile()));
        Route route = Route.of(RouteKind.APNS, APNS, "127.0.0.1", port);

        ClientIdentity identity = ClientIdentity.load(client.p12(), "changeit".toCharArray());
        UpstreamPool withCert = pool(trusting().withClientCert(identity), UpstreamConfig.defaults());
        ResponseLog ok = run(withCert, route, 200, 50, i -> null);
        assertAllAccepted(ok, 200);

        // The mock asks for a client certificate without requiring one (Pushy's ClientAuth.OPTIONAL):
        // an untrusted or missing certificate gets in, unauthenticated, and APNS's own refusal
        // comes back as it is. (A server that requires one fails the handshake:
        // UpstreamPoolFaultTest.clientCertificateIsPresentedWhenRequired.)
        TestPki strangers = TestPki.create(dir.resolve("strangers"), "some other CA");
        ClientIdentity stranger = ClientIdentity.load(strangers.client("relay-client").p12(), "changeit".toCharArray());
        UpstreamPool strangerPool = pool(trusting().withClientCert(stranger), UpstreamConfig.defaults());
        UpstreamPool noCertPool = pool(trusting(), UpstreamConfig.defaults());
        for (UpstreamPool refused : List.of(strangerPool, noCertPool)) {
            ResponseLog log = run(refused, route, 3, 3, i -> null);
            for (ResponseLog.Answer a : log.answers.values()) {
                assertNull(a.error(), a.toString());
                assertEquals(403, a.status());
                assertEquals("{\"reason\":\"BadCertificate\"}", a.body());
            }
        }
        assertEquals(200, accepted.get());
    }
}
