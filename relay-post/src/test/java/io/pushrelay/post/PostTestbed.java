package io.pushrelay.post;

import com.eatthepath.pushy.apns.auth.ApnsSigningKey;
import com.eatthepath.pushy.apns.auth.ApnsVerificationKey;
import com.eatthepath.pushy.apns.auth.AuthenticationToken;
import com.eatthepath.pushy.apns.server.MockApnsServer;
import com.eatthepath.pushy.apns.server.MockApnsServerBuilder;
import com.eatthepath.pushy.apns.server.MockApnsServerListener;
import com.eatthepath.pushy.apns.server.RejectionReason;
import com.eatthepath.pushy.apns.server.ValidatingPushNotificationHandlerFactory;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.Http2Headers;
import io.pushrelay.core.config.ConfigException;
import io.pushrelay.core.config.ConfigLoader;
import io.pushrelay.core.config.ConfigOverrides;
import io.pushrelay.core.config.PostConfig;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What relay-post's tests share: fresh PKI (our certs API), Pushy's mock APNS server with
 * APNS-like validation (provider tokens, device tokens per topic) behind relay-post's default
 * config for tests, and curl. One per test class ({@code @BeforeAll}); {@link #close()} stops
 * everything it started.
 *
 * <p>PKI: one CA signs relay-post's certificate ({@code relay}: {@value #RELAY_NAME}, the APNS
 * and FCM names, 127.0.0.1 and ::1), the mock's ({@code upstream}), and the client certificates
 * {@code legacy-proxy} and {@code intruder}; a second CA signs another {@code legacy-proxy}.
 */
final class PostTestbed implements AutoCloseable {
    static final String APNS = "api.push.apple.com";
    /** relay-post's own name, as a legacy proxy configured with it would check it. */
    static final String RELAY_NAME = "relay-post.push-relay.test";
    static final String TOPIC = "com.example.relay";
    static final String TOKEN = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
    /** A well-formed token the mock does not know for the topic: 400 DeviceTokenNotForTopic. */
    static final String UNKNOWN_TOKEN = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    final Path dir;
    final TestPki pki;
    final TestPki foreignPki;
    final TestPki.LeafFiles relayCert;
    final TestPki.LeafFiles upstreamCert;
    final TestPki.LeafFiles legacyProxy;
    final TestPki.LeafFiles intruder;
    final TestPki.LeafFiles foreignLegacyProxy;
    final String authorization;
    final AtomicInteger accepted = new AtomicInteger();
    final AtomicInteger rejected = new AtomicInteger();
    /** The headers of the last notification the mock saw (names lower-case, pseudo-headers included). */
    volatile Map<String, String> lastHeaders = Map.of();
    private final EventLoopGroup mockGroup;
    private final MockApnsServer mock;
    final int mockPort;

    @SuppressWarnings("deprecation") // Pushy 0.15 takes only the classic group types
    PostTestbed(Path dir) throws Exception {
        this.dir = dir;
        pki = TestPki.create(dir.resolve("pki"), "relay-post test CA", "push-relay.test");
        foreignPki = TestPki.create(dir.resolve("foreign"), "another CA");
        relayCert = pki.server("relay", RELAY_NAME, APNS, "api.sandbox.push.apple.com", "fcm.googleapis.com",
                "oauth2.googleapis.com");
        upstreamCert = pki.server("upstream", APNS, "api.sandbox.push.apple.com", "fcm.googleapis.com",
                "oauth2.googleapis.com");
        legacyProxy = pki.client("legacy-proxy");
        intruder = pki.client("intruder");
        foreignLegacyProxy = foreignPki.client("legacy-proxy");

        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        ApnsSigningKey signing = new ApnsSigningKey("KEY1234567", "TEAM123456", (ECPrivateKey) pair.getPrivate());
        ApnsVerificationKey verification = new ApnsVerificationKey("KEY1234567", "TEAM123456",
                (ECPublicKey) pair.getPublic());
        authorization = new AuthenticationToken(signing, Instant.now()).getAuthorizationHeader().toString();

        mockGroup = new io.netty.channel.nio.NioEventLoopGroup(1);
        mock = new MockApnsServerBuilder()
                .setServerCredentials(upstreamCert.chain().toFile(), upstreamCert.key().toFile(), null)
                .setEventLoopGroup(mockGroup)
                .setUseAlpn(true)
                .setHandlerFactory(new ValidatingPushNotificationHandlerFactory(Map.of(TOPIC, Set.of(TOKEN)),
                        Map.of(), Map.of(verification.getKeyId(), verification), Map.of(verification, Set.of(TOPIC))))
                .setListener(new MockApnsServerListener() {
                    @Override
                    public void handlePushNotificationAccepted(Http2Headers headers, ByteBuf payload) {
                        lastHeaders = copy(headers);
                        accepted.incrementAndGet();
                    }

                    @Override
                    public void handlePushNotificationRejected(Http2Headers headers, ByteBuf payload,
                                                               RejectionReason reason, Instant expiry) {
                        lastHeaders = copy(headers);
                        rejected.incrementAndGet();
                    }
                })
                .build();
        int port;
        try {
            port = (Integer) mock.start(0).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            mockGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
        mockPort = port;
    }

    private static Map<String, String> copy(Http2Headers headers) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        headers.forEach(h -> out.merge(h.getKey().toString(), h.getValue().toString(), (a, b) -> a + "," + b));
        return out;
    }

    /** Notifications the mock has seen, accepted or rejected. */
    int mockSaw() {
        return accepted.get() + rejected.get();
    }

    /**
     * relay-post's config for tests: TLS on 127.0.0.1 port 0 with the {@code relay} certificate,
     * admin on port 0, {@code api.push.apple.com} routed to the mock (trusted through the test
     * CA), loopback sources, a rate limit no test reaches by accident; {@code yaml} lines are
     * added at the top level, {@code overrides} laid over it all.
     */
    PostConfig config(ConfigOverrides overrides, String... yaml) throws ConfigException {
        List<String> lines = new ArrayList<>(List.of(
                "listen: 127.0.0.1:0",
                "tls:",
                "  cert: " + relayCert.chain(),
                "  key: " + relayCert.key(),
                "routes:",
                "  " + APNS + ": 127.0.0.1:" + mockPort,
                "upstream:",
                "  ca: " + pki.caPem(),
                "admin:",
                "  listen: 127.0.0.1:0",
                "limits:",
                "  requests-per-second-per-client: 100000"));
        lines.addAll(List.of(yaml));
        PostConfig base = ConfigLoader.parse(String.join("\n", lines) + "\n", "test.yaml", dir, PostConfig.class);
        return overrides.isEmpty() ? base : base.withOverrides(overrides);
    }

    PostConfig config() throws ConfigException {
        return config(ConfigOverrides.none());
    }

    /** Runs curl to completion; {@code -sS} and a line {@code STATUS code version} at the end are added. */
    static ExternalProcess.Result curl(String... args) {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "15", "-w",
                "\nSTATUS %{http_code} %{http_version}"));
        command.addAll(List.of(args));
        return ExternalProcess.run(Duration.ofSeconds(20), Map.of(), command);
    }

    /** A JSON notification body. */
    static String payload() {
        return "{\"aps\":{\"alert\":\"hello\"}}";
    }

    /** The names of the one open connection's pipeline (Netty's tail left out), read on its event loop. */
    static List<String> pipelineNames(PostRelay relay) throws Exception {
        List<Channel> open = new ArrayList<>(relay.listener().connections());
        if (open.size() != 1) {
            throw new AssertionError("expected one connection, have " + open.size());
        }
        Channel ch = open.get(0);
        List<String> names = ch.eventLoop().submit(() -> new ArrayList<>(ch.pipeline().names())).get(5, TimeUnit.SECONDS);
        names.removeIf(n -> n.startsWith("DefaultChannelPipeline$TailContext"));
        return names;
    }

    /** Writes {@code text} into a file under the test bed's folder. */
    Path file(String name, String text) {
        try {
            return Files.writeString(dir.resolve(name), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws Exception {
        try {
            mock.shutdown().get(10, TimeUnit.SECONDS);
        } finally {
            mockGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
