package io.pushrelay.core.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.connect.ConnectorConfig;
import io.pushrelay.core.connect.UpstreamProtocol;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import io.pushrelay.core.transport.Transports;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One HTTP/1.1 connection of the upstream on an {@link EmbeddedChannel}: the request bytes it
 * writes, and every shape of answer it reads.
 */
class H1ConnectionTest {
    private static final Route ROUTE = Route.of(RouteKind.APNS, "api.push.apple.com", "api.push.apple.com", 443);
    private static final String TOKEN = "abcdef0123456789";

    static EventLoopGroup group;
    static Connector connector;
    static Http1Upstream upstream;

    private EmbeddedChannel channel;
    private H1LoopPool pool;
    private H1Connection connection;
    private final List<RelayResponse> answers = new ArrayList<>();

    @BeforeAll
    static void setUpAll() {
        group = Transports.newGroup("h1-connection-test", 1);
        connector = new Connector(ConnectorConfig.direct().withProtocol(UpstreamProtocol.HTTP_1_1));
        upstream = new Http1Upstream(connector, new ViaEndpoint(true, "relay-post.test", 8443),
                Http1UpstreamConfig.defaults().withMaxResponseBytes(64).withMaxResponseHeadBytes(1024), group);
    }

    @AfterAll
    static void tearDownAll() {
        upstream.close();
        connector.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel();
        pool = new H1LoopPool(upstream, channel.eventLoop());
        connection = new H1Connection(pool, "v1", upstream.config());
        channel.pipeline().addLast(connection.newDecoder(), connection);
        connection.markReady();
    }

    @AfterEach
    void tearDown() {
        // First the channel: closing it answers a request still on it (EmbeddedChannel reports no
        // write progress, so such a request counts as never sent and fails on a retry).
        channel.finishAndReleaseAll();
        for (RelayResponse r : answers) {
            r.release();
        }
    }

    private static RelayRequest request(String method, String body) {
        DefaultHttp2Headers headers = new DefaultHttp2Headers();
        headers.set("authorization", "bearer a.b.c").set("apns-topic", "com.example");
        return new RelayRequest(method, "https", "api.push.apple.com", "/3/device/" + TOKEN, headers,
                ByteBufAllocator.DEFAULT.buffer().writeBytes(body.getBytes(StandardCharsets.UTF_8)),
                new InetSocketAddress("127.0.0.1", 50000), "d1", System.nanoTime());
    }

    /** Writes a request on the connection; returns the bytes that went out. */
    private String send() {
        H1Exchange ex = new H1Exchange(ROUTE, request("POST", "{}"), answers::add, pool);
        assertTrue(connection.write(ex));
        ByteBuf out = channel.readOutbound();
        try {
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
        }
    }

    private void receive(String bytes) {
        channel.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.ISO_8859_1));
    }

    private RelayResponse only() {
        assertEquals(1, answers.size(), answers::toString);
        return answers.get(0);
    }

    @Test
    void requestShouldBeOriginFormWithHostForwardedFieldsAndContentLength() {
        assertEquals("POST /3/device/" + TOKEN + " HTTP/1.1\r\n"
                + "Host: relay-post.test:8443\r\n"
                + "Forwarded: host=\"api.push.apple.com\";proto=https\r\n"
                + "authorization: bearer a.b.c\r\n"
                + "apns-topic: com.example\r\n"
                + "Content-Length: 2\r\n"
                + "\r\n{}", send());
        assertFalse(connection.isFree());
    }

    @Test
    void answerShouldBeRelayedWithoutHopByHopFieldsAndTheConnectionKept() {
        send();
        receive("HTTP/1.1 200 OK\r\napns-id: 42\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
                + "Content-Length: 2\r\n\r\nok");
        RelayResponse r = only();
        assertEquals(200, r.status());
        assertNull(r.error());
        assertEquals("v1", r.upstreamConnection());
        assertEquals("42", r.headers().get("apns-id").toString());
        assertNull(r.headers().get("connection"));
        assertNull(r.headers().get("keep-alive"));
        assertEquals("ok", r.body().toString(StandardCharsets.UTF_8));
        assertTrue(connection.isFree(), "kept alive for the next request");
    }

    @Test
    void answerInSmallPiecesShouldBeAssembled() {
        send();
        String answer = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n"
                + "{\"reason\":\"BadDeviceToken\"}";
        for (char c : answer.toCharArray()) {
            receive(String.valueOf(c));
        }
        RelayResponse r = only();
        assertEquals(400, r.status());
        assertEquals("{\"reason\":\"BadDeviceToken\"}", r.body().toString(StandardCharsets.UTF_8));
    }

    @Test
    void interimAnswersShouldBeSkipped() {
        send();
        receive("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assertEquals(200, only().status());
    }

    @Test
    void chunkedAnswerShouldLoseItsFraming() {
        send();
        receive("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
        RelayResponse r = only();
        assertEquals("abcde", r.body().toString(StandardCharsets.UTF_8));
        assertNull(r.headers().get("transfer-encoding"));
        assertNull(r.headers().get("content-length"));
    }

    @Test
    void connectionCloseShouldCloseAfterTheAnswer() {
        send();
        receive("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        assertEquals(200, only().status());
        assertFalse(channel.isOpen());
    }

    @Test
    void bodyDelimitedByTheCloseShouldBeWholeAtTheClose() {
        send();
        receive("HTTP/1.1 200 OK\r\n\r\nuntil the end");
        assertTrue(answers.isEmpty());
        channel.close();
        RelayResponse r = only();
        assertEquals(200, r.status());
        assertEquals("until the end", r.body().toString(StandardCharsets.UTF_8));
    }

    @Test
    void closeInTheMiddleOfTheBodyShouldBeUpstreamReset() {
        send();
        receive("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf");
        channel.close();
        assertEquals(RelayError.UPSTREAM_RESET, only().error());
    }

    @Test
    void malformedAnswerShouldBeUpstreamResetAndClose() {
        send();
        receive("HTTP/1.1 abc\r\n\r\n");
        assertEquals(RelayError.UPSTREAM_RESET, only().error());
        assertEquals(502, only().status());
        assertFalse(channel.isOpen());
    }

    @Test
    void oversizedHeadShouldBeUpstreamReset() {
        send();
        receive("HTTP/1.1 200 OK\r\nX-Big: " + "x".repeat(2000) + "\r\n\r\n");
        assertEquals(RelayError.UPSTREAM_RESET, only().error());
        assertFalse(channel.isOpen());
    }

    @Test
    void bodyAnnouncedOverTheLimitShouldBeUpstreamResetAtOnce() {
        send();
        receive("HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n");
        assertEquals(RelayError.UPSTREAM_RESET, only().error(), "64 bytes at most, by Content-Length");
        assertFalse(channel.isOpen());
    }

    @Test
    void switchingProtocolsShouldBeUpstreamReset() {
        send();
        receive("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n");
        assertEquals(RelayError.UPSTREAM_RESET, only().error());
    }

    @Test
    void anAnswerToNothingShouldCloseTheConnection() {
        receive("HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n");
        assertFalse(channel.isOpen());
        assertTrue(answers.isEmpty());
    }

    @Test
    void headAndConnectShouldNotBeRelayed() {
        pool.send(ROUTE, request("HEAD", ""), answers::add);
        pool.send(ROUTE, request("CONNECT", ""), answers::add);
        assertEquals(2, answers.size());
        assertTrue(answers.stream().allMatch(a -> a.error() == RelayError.METHOD_NOT_ALLOWED));
        assertTrue(connection.isFree());
    }
}
