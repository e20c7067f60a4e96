package io.pushrelay.core.sim;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.nio.charset.StandardCharsets;

/**
 * One answer a simulator makes.
 *
 * @param status  the HTTP status
 * @param headers regular headers only (no {@code :status}), lower-case names
 * @param body    the body, possibly empty, never null
 */
record SimResponse(int status, Http2Headers headers, byte[] body) {
    static final byte[] EMPTY = new byte[0];

    /** A JSON answer with {@code content-type: application/json}. */
    static SimResponse json(int status, Http2Headers headers, String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        headers.set("content-type", "application/json; charset=UTF-8");
        return new SimResponse(status, headers, bytes);
    }

    /** What a simulator answers when its own code failed: a bug, reported as such. */
    static SimResponse internalError() {
        return json(500, new DefaultHttp2Headers(), "{\"reason\":\"InternalServerError\"}");
    }
}
