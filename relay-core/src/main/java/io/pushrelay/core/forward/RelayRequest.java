package io.pushrelay.core.forward;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http2.Http2Headers;
import java.net.InetSocketAddress;

/**
 * One request, whichever protocol it came in on (an h2 stream or an HTTP/1.1 request),
 * normalised: pseudo-headers split out, {@code headers} holding only regular headers with
 * lower-case names and hop-by-hop headers already removed, and the whole body.
 *
 * <p>Buffer ownership: the request owns {@code body}. Whoever takes the request to send it
 * (the upstream pool) releases the body, or passes it on to a write that does; whoever
 * answers it without sending (policy, errors) releases it through {@link #release()}.
 *
 * @param method      the request method, e.g. {@code POST}
 * @param scheme      {@code https} or {@code http}
 * @param authority   host[:port] from {@code :authority} or {@code Host}, as sent
 * @param path        path and query, e.g. {@code /3/device/abcd}
 * @param headers     regular headers only (no pseudo-headers, no hop-by-hop)
 * @param body        the body, possibly empty, never null
 * @param downstream  the remote address of the downstream connection
 * @param downstreamId a short id of the downstream connection, for logs
 * @param receivedNanos {@link System#nanoTime()} when the request head arrived
 */
public record RelayRequest(String method, String scheme, String authority, String path, Http2Headers headers,
                           ByteBuf body, InetSocketAddress downstream, String downstreamId, long receivedNanos) {

    /** The authority without a port, lower-cased: the route key. */
    public String host() {
        return AuthorityNames.hostOf(authority);
    }

    public void release() {
        if (body.refCnt() > 0) {
            body.release();
        }
    }
}
