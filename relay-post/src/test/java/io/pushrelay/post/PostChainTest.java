package io.pushrelay.post;

import static io.pushrelay.post.PostTestbed.APNS;
import static io.pushrelay.post.PostTestbed.RELAY_NAME;
import static io.pushrelay.post.PostTestbed.TOKEN;
import static io.pushrelay.post.PostTestbed.TOPIC;
import static io.pushrelay.post.PostTestbed.UNKNOWN_TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.pushrelay.core.config.ConfigOverrides;
import io.pushrelay.core.connect.ClientIdentity;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.connect.ConnectorConfig;
import io.pushrelay.core.connect.HostResolver;
import io.pushrelay.core.connect.ProxyConfig;
import io.pushrelay.core.connect.UpstreamProtocol;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import io.pushrelay.core.testing.Squid;
import io.pushrelay.core.testing.TestPki;
import io.pushrelay.core.transport.Transports;
import io.pushrelay.core.upstream.Http1Upstream;
import io.pushrelay.core.upstream.Http1UpstreamConfig;
import io.pushrelay.core.upstream.ViaEndpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chain's second half: relay-pre's {@code via} upstream (the engine's {@link Http1Upstream},
 * as relay-pre builds it) sending HTTP/1.1 to a real relay-post, which relays to Pushy's mock
 * over h2. relay-pre's default shape is origin-form with {@code Host} naming relay-post and
 * {@code Forwarded: host="api.push.apple.com"}: relay-post routes by the latter. Directly with
 * relay-pre's client certificate, and through a TLS-inspecting Squid ({@code ssl-bump}) that
 * logs every request, the legacy proxy of the design. The whole chain, every hop a process, with
 * Pushy's {@code ApnsClient} and a Go client at the start and thousands of notifications, is
 * relay-pre's {@code io.pushrelay.pre.e2e.ChainScenarioTest}.
 */
class PostChainTest {
    private static final Route APNS_ROUTE = Route.of(RouteKind.APNS, APNS, APNS, 443);

    @TempDir
    static Path dir;
    static PostTestbed bed;
    static EventLoopGroup group;

    @BeforeAll
    static void setUp() throws Exception {
        bed = new PostTestbed(dir);
        group = Transports.newGroup("chain-test", 1);
    }

    @AfterAll
    static void tearDown() throws Exception {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        bed.close();
    }

    private static RelayRequest push(String token, String apnsId) {
        DefaultHttp2Headers headers = new DefaultHttp2Headers();
        headers.set("apns-topic", TOPIC).set("authorization", bed.authorization).set("apns-id", apnsId);
        return new RelayRequest("POST", "https", APNS, "/3/device/" + token, headers,
                Unpooled.copiedBuffer(PostTestbed.payload(), StandardCharsets.UTF_8),
                new InetSocketAddress("127.0.0.1", 40000), "chain", System.nanoTime());
    }

    /** One answer: status, apns-id, body. */
    private record Answer(int status, String apnsId, String body, String error) {
    }

    private static List<Answer> send(Http1Upstream upstream, List<String> tokens) throws Exception {
        List<CompletableFuture<Answer>> answers = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            CompletableFuture<Answer> answer = new CompletableFuture<>();
            answers.add(answer);
            String apnsId = String.format("11111111-2222-3333-4444-%012d", i);
            RelayRequest request = push(tokens.get(i), apnsId);
            group.next().execute(() -> upstream.send(APNS_ROUTE, request, (RelayResponse response) -> {
                CharSequence id = response.headers().get("apns-id");
                answer.complete(new Answer(response.status(), id == null ? null : id.toString(),
                        response.body().toString(StandardCharsets.UTF_8),
                        response.error() == null ? null : response.error().reason()));
                response.release();
            }));
        }
        List<Answer> out = new ArrayList<>();
        for (CompletableFuture<Answer> a : answers) {
            out.add(a.get(30, TimeUnit.SECONDS));
        }
        return out;
    }

    private static Http1Upstream viaUpstream(ConnectorConfig connector, int port) {
        return new Http1Upstream(new Connector(connector.withProtocol(UpstreamProtocol.HTTP_1_1)
                .withConnectTimeout(Duration.ofSeconds(5)).withHandshakeTimeout(Duration.ofSeconds(5))),
                new ViaEndpoint(true, RELAY_NAME, port), Http1UpstreamConfig.defaults()
                .withRequestTimeout(Duration.ofSeconds(10)), group);
    }

    private static void assertAnswers(List<Answer> answers, int accepted) {
        for (int i = 0; i < accepted; i++) {
            Answer a = answers.get(i);
            assertNull(a.error(), a.toString());
            assertEquals(200, a.status(), a.toString());
            assertEquals(String.format("11111111-2222-3333-4444-%012d", i), a.apnsId());
        }
        Answer rejected = answers.get(accepted);
        assertEquals(400, rejected.status(), rejected.toString());
        assertEquals("{\"reason\":\"DeviceTokenNotForTopic\"}", rejected.body());
    }

    private static List<String> tokens(int accepted) {
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < accepted; i++) {
            tokens.add(TOKEN);
        }
        tokens.add(UNKNOWN_TOKEN);
        return tokens;
    }

    @Test
    void relayPresHttp1UpstreamShouldReachTheMockThroughRelayPostWithItsClientCertificate() throws Exception {
        try (PostRelay relay = PostRelay.start(bed.config(ConfigOverrides.none()
                .set("test", "client-ca", bed.pki.caPem())
                .set("test", "allow-clients", List.of("legacy-proxy"))))) {
            int accepted = bed.accepted.get();
            ConnectorConfig direct = ConnectorConfig.direct().withUpstreamCa(bed.pki.caPem())
                    .withClientCert(ClientIdentity.fromPem(bed.legacyProxy.chain(), bed.legacyProxy.key()))
                    .withResolver(HostResolver.fixed(Map.of(RELAY_NAME, List.of(InetAddress.getLoopbackAddress())),
                            HostResolver.system()));
            try (Http1Upstream upstream = viaUpstream(direct, relay.address().getPort())) {
                assertAnswers(send(upstream, tokens(20)), 20);
            }
            assertEquals(accepted + 20, bed.accepted.get());
            assertEquals(APNS, bed.lastHeaders.get(":authority"));
            assertNull(bed.lastHeaders.get("forwarded"), "consumed by relay-post: " + bed.lastHeaders);
        }
    }

    @Test
    void throughATlsInspectingSquidEveryRequestShouldBeLoggedAndRelayed() throws Exception {
        TestPki inspection = TestPki.createUnconstrained(dir.resolve("inspection"), "corporate inspection CA");
        try (PostRelay relay = PostRelay.start(bed.config());
             Squid squid = Squid.builder().directory(dir).hosts(RELAY_NAME)
                     .sslBump(inspection.caPem(), inspection.caKey()).trustUpstream(bed.pki.caPem())
                     .allowPorts(relay.address().getPort()).start()) {
            int accepted = bed.accepted.get();
            ConnectorConfig viaSquid = ConnectorConfig.direct().withProxy(ProxyConfig.parse(squid.url()))
                    .withUpstreamCa(inspection.caPem());
            try (Http1Upstream upstream = viaUpstream(viaSquid, relay.address().getPort())) {
                assertAnswers(send(upstream, tokens(10)), 10);
            }
            assertEquals(accepted + 10, bed.accepted.get());
            squid.stop();
            List<Squid.AccessLogEntry> posts = squid.accessLog().stream().filter(e -> e.method().equals("POST")).toList();
            assertEquals(11, posts.size(), squid.accessLog().toString());
            for (Squid.AccessLogEntry e : posts) {
                assertTrue(e.url().startsWith("https://" + RELAY_NAME + ":" + relay.address().getPort() + "/3/device/"),
                        e.toString());
            }
        }
    }
}
