package io.pushrelay.core.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.eatthepath.pushy.apns.ApnsClient;
import com.eatthepath.pushy.apns.ApnsClientBuilder;
import com.eatthepath.pushy.apns.PushNotificationResponse;
import com.eatthepath.pushy.apns.auth.ApnsSigningKey;
import com.eatthepath.pushy.apns.util.SimpleApnsPushNotification;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The APNS simulator against Pushy's real {@code ApnsClient}, token auth with a real P-256 key. */
class ApnsSimulatorPushyTest {
    private static final String TEAM = "TEAM123456";
    private static final String KEY_ID = "KEY1234567";
    private static final String TOPIC = "com.example.app";

    @TempDir
    static Path dir;
    static SimFixtures.Pki pki;
    static KeyPair keyPair;
    static ApnsSigningKey signingKey;
    /** Pushy's own group would wait out a 2 s quiet period on every close. */
    static EventLoopGroup pushyGroup;

    @BeforeAll
    @SuppressWarnings("deprecation") // Pushy 0.15 (Netty 4.1 API) takes only the classic group types
    static void setUp() throws Exception {
        pushyGroup = new io.netty.channel.nio.NioEventLoopGroup(2);
        pki = SimFixtures.pki(dir.resolve("pki"));
        keyPair = SimFixtures.p256();
        signingKey = new ApnsSigningKey(KEY_ID, TEAM, (ECPrivateKey) keyPair.getPrivate());
    }

    @AfterAll
    static void tearDown() {
        pushyGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static ApnsSimConfig.Builder tokenConfig() {
        return ApnsSimConfig.builder(pki.identity())
                .tokenKey(new ApnsSimConfig.TokenKey(TEAM, KEY_ID, keyPair.getPublic()));
    }

    private static ApnsClient client(InetSocketAddress address, boolean alpn, ApnsSigningKey key) throws Exception {
        return new ApnsClientBuilder()
                .setApnsServer("127.0.0.1", address.getPort())
                .setSigningKey(key)
                .setTrustedServerCertificateChain(pki.caPem().toFile())
                .setUseAlpn(alpn)
                .setEventLoopGroup(pushyGroup)
                .build();
    }

    @ParameterizedTest(name = "alpn={0}")
    @ValueSource(booleans = {false, true})
    void pushyShouldHaveThousandsAcceptedWithManyInFlightAndPayloadsIntact(boolean alpn) throws Exception {
        int total = 3000;
        int inFlight = 200;
        try (ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress address = sim.start(tokenConfig().recordAccepted(total).build());
            ApnsClient client = client(address, alpn, signingKey);
            Map<String, String> sent = new HashMap<>();
            try {
                Semaphore window = new Semaphore(inFlight);
                List<CompletableFuture<PushNotificationResponse<SimpleApnsPushNotification>>> futures =
                        new ArrayList<>();
                int maxOutstanding = 0;
                for (int i = 0; i < total; i++) {
                    window.acquire();
                    maxOutstanding = Math.max(maxOutstanding, inFlight - window.availablePermits());
                    String token = SimFixtures.token(i);
                    String payload = "{\"aps\":{\"alert\":\"n" + i + " \u00e9\u20ac\"},\"i\":" + i + "}";
                    sent.put(token, payload);
                    var future = client.sendNotification(new SimpleApnsPushNotification(token, TOPIC, payload));
                    future.whenComplete((r, e) -> window.release());
                    futures.add(future);
                }
                int accepted = 0;
                for (var future : futures) {
                    PushNotificationResponse<SimpleApnsPushNotification> response = future.get(30, TimeUnit.SECONDS);
                    assertTrue(response.isAccepted(), () -> "rejected: " + response.getRejectionReason());
                    assertNotNull(response.getApnsId());
                    accepted++;
                }
                assertEquals(total, accepted);
                assertTrue(maxOutstanding >= 100, "in flight at most " + maxOutstanding);
                List<SimConnection> open = sim.endpoint().connections.openConnections();
                assertEquals(1, open.size());
                assertEquals(List.of(SimHandlerNames.TLS, SimHandlerNames.H2), open.get(0).channel.pipeline().names()
                        .stream().filter(n -> !n.startsWith("DefaultChannelPipeline")).toList());
            } finally {
                client.close().get(10, TimeUnit.SECONDS);
            }
            ApnsSimSnapshot snapshot = sim.snapshot();
            assertEquals(total, snapshot.accepted(), snapshot.summary());
            assertEquals(0, snapshot.rejected(), snapshot.summary());
            String expected = alpn ? "h2" : "h2-prior-knowledge";
            assertTrue(snapshot.connections().stream().allMatch(c -> c.protocol().equals(expected)
                    && c.identity().equals(TEAM)), snapshot.connections().toString());
            assertEquals(total, snapshot.connections().stream().mapToLong(ConnectionStats::accepted).sum());
            List<AcceptedNotification> recorded = sim.recorded();
            assertEquals(total, recorded.size());
            for (AcceptedNotification n : recorded) {
                assertEquals(sent.get(n.deviceToken()), n.payloadUtf8(), n.deviceToken());
                assertEquals(TOPIC, n.topic());
                assertEquals(TEAM, n.team());
                assertFalse(n.headers().containsKey("authorization"));
            }
        }
    }

    @Test
    void pushyShouldSeeApnsReasonsForBadTokenOversizePayloadAndUnregistered() throws Exception {
        String unregistered = SimFixtures.token(7);
        Instant since = Instant.now().minus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MILLIS);
        String listedBad = SimFixtures.token(8);
        try (ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress address = sim.start(tokenConfig().unregistered(unregistered, since).badToken(listedBad)
                    .build());
            ApnsClient client = client(address, false, signingKey);
            try {
                assertEquals("BadDeviceToken", reject(client, "not-hex-at-all", "{}"));
                assertEquals("BadDeviceToken", reject(client, SimFixtures.token(1).substring(2), "{}"));
                assertEquals("BadDeviceToken", reject(client, listedBad, "{}"));
                String oversize = "{\"a\":\"" + "x".repeat(4100) + "\"}";
                assertEquals("PayloadTooLarge", reject(client, SimFixtures.token(2), oversize));
                var response = send(client, new SimpleApnsPushNotification(unregistered, TOPIC, "{}"));
                assertFalse(response.isAccepted());
                assertEquals("Unregistered", response.getRejectionReason().orElseThrow());
                assertEquals(since, response.getTokenInvalidationTimestamp().orElseThrow());
                var good = new SimpleApnsPushNotification(SimFixtures.token(3), TOPIC, "{}");
                assertTrue(send(client, good).isAccepted());
            } finally {
                client.close().get(10, TimeUnit.SECONDS);
            }
            ApnsSimSnapshot snapshot = sim.snapshot();
            assertEquals(1, snapshot.accepted());
            assertEquals(3, snapshot.rejected("BadDeviceToken"));
            assertEquals(1, snapshot.rejected("PayloadTooLarge"));
            assertEquals(1, snapshot.rejected("Unregistered"));
        }
    }

    @Test
    void tokenSignedByAnotherKeyShouldBeInvalidProviderToken() throws Exception {
        ApnsSigningKey impostor = new ApnsSigningKey(KEY_ID, TEAM, (ECPrivateKey) SimFixtures.p256().getPrivate());
        try (ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress address = sim.start(tokenConfig().build());
            ApnsClient client = client(address, true, impostor);
            try {
                assertEquals("InvalidProviderToken", reject(client, SimFixtures.token(1), "{}"));
            } finally {
                client.close().get(10, TimeUnit.SECONDS);
            }
            assertEquals(0, sim.acceptedCount());
            assertEquals(1, sim.snapshot().rejected("InvalidProviderToken"));
        }
    }

    @Test
    void pushyShouldFollowTheConcurrentStreamsRampFromOne() throws Exception {
        int total = 500;
        try (ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress address = sim.start(tokenConfig().maxConcurrentStreams(1, 100).build());
            ApnsClient client = client(address, false, signingKey);
            try {
                List<CompletableFuture<PushNotificationResponse<SimpleApnsPushNotification>>> futures =
                        new ArrayList<>();
                for (int i = 0; i < total; i++) {
                    futures.add(client.sendNotification(new SimpleApnsPushNotification(SimFixtures.token(i), TOPIC,
                            "{\"aps\":{}}")));
                }
                for (var future : futures) {
                    assertTrue(future.get(30, TimeUnit.SECONDS).isAccepted());
                }
            } finally {
                client.close().get(10, TimeUnit.SECONDS);
            }
            assertEquals(total, sim.acceptedCount());
            assertEquals(1, sim.snapshot().connectionsOpened());
        }
    }

    private static PushNotificationResponse<SimpleApnsPushNotification> send(ApnsClient client,
            SimpleApnsPushNotification notification) throws Exception {
        return client.sendNotification(notification).get(10, TimeUnit.SECONDS);
    }

    private static String reject(ApnsClient client, String token, String payload) throws Exception {
        var response = send(client, new SimpleApnsPushNotification(token, TOPIC, payload));
        assertFalse(response.isAccepted(), "accepted " + token);
        return response.getRejectionReason().orElseThrow();
    }
}
