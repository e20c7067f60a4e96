package io.pushrelay.core.testing;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.pushrelay.core.forward.RelayRequest;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** Small {@link RelayRequest}s for unit tests. */
public final class Requests {
    public static final String TOKEN = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

    private Requests() {
    }

    /** A request with an unpooled copy of {@code body}. */
    public static RelayRequest of(String method, String authority, String path, String body) {
        return new RelayRequest(method, "https", authority, path, new DefaultHttp2Headers().set("apns-topic", "com.example"),
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8), new InetSocketAddress("127.0.0.1", 40000),
                "c0ffee00", System.nanoTime());
    }

    public static RelayRequest apns(String body) {
        return of("POST", "api.push.apple.com", "/3/device/" + TOKEN, body);
    }
}
