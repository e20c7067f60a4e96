package io.pushrelay.core.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.testing.H2TestServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/** APNS-shaped requests as the inbound side hands them to the upstream pool. */
final class Requests {
    static final String TOPIC = "com.example.relay";
    static final byte[] PAYLOAD = "{\"aps\":{\"alert\":\"hello\"}}".getBytes(StandardCharsets.UTF_8);

    private Requests() {
    }

    /** A random 64-hex device token. */
    static String deviceToken() {
        byte[] b = new byte[32];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** {@code POST /3/device/<token>} with topic, push type, optional authorization and a request id. */
    static RelayRequest push(String authority, String token, String authorization, String requestId) {
        Http2Headers headers = new DefaultHttp2Headers()
                .set("apns-topic", TOPIC)
                .set("apns-push-type", "alert")
                .set("content-type", "application/json");
        if (authorization != null) {
            headers.set("authorization", authorization);
        }
        if (requestId != null) {
            headers.set(H2TestServer.REQUEST_ID, requestId);
        }
        ByteBuf body = ByteBufAllocator.DEFAULT.buffer(PAYLOAD.length).writeBytes(PAYLOAD);
        return new RelayRequest("POST", "https", authority, "/3/device/" + token, headers, body,
                new InetSocketAddress("127.0.0.1", 50000), "d-" + requestId, System.nanoTime());
    }
}
