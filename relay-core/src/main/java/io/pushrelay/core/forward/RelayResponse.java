package io.pushrelay.core.forward;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.nio.charset.StandardCharsets;

/**
 * One answer to a {@link RelayRequest}: the upstream's (then {@code error} is null and
 * {@code upstreamConnection} names the connection it came on), or a relay-made one.
 *
 * <p>Buffer ownership: the response owns {@code body}; the {@link ResponseSink} that receives
 * it writes it downstream (which releases it) or releases it.
 *
 * @param status             the HTTP status
 * @param headers            regular headers (no pseudo-headers, no hop-by-hop)
 * @param body               the body, possibly empty, never null
 * @param error              the relay error when the relay made this answer, else null
 * @param upstreamConnection a short id of the upstream connection, or {@code -} when none
 */
public record RelayResponse(int status, Http2Headers headers, ByteBuf body, RelayError error,
                            String upstreamConnection) {

    /** A relay-made answer in APNS shape: {@code {"reason":"..."}}, JSON content type. */
    public static RelayResponse of(RelayError error, ByteBufAllocator alloc) {
        byte[] json = ("{\"reason\":\"" + error.reason() + "\"}").getBytes(StandardCharsets.US_ASCII);
        Http2Headers headers = new DefaultHttp2Headers()
                .set("content-type", "application/json; charset=utf-8")
                .setInt("content-length", json.length);
        return new RelayResponse(error.status(), headers, alloc.buffer(json.length).writeBytes(json), error, "-");
    }

    public void release() {
        if (body.refCnt() > 0) {
            body.release();
        }
    }
}
