package io.pushrelay.core.sim;

import io.netty.handler.codec.http2.Http2Headers;

/**
 * One request a simulator received, whatever the protocol. The body is a copy (no buffer to
 * release), capped at the endpoint's body limit; {@code bodyLength} is what was really sent.
 *
 * @param method     request method
 * @param path       path and query as sent
 * @param authority  {@code :authority} or {@code Host}, may be null
 * @param headers    the request's headers, lower-case names (pseudo-headers too, for h2)
 * @param body       the body, at most the endpoint's limit, never null
 * @param bodyLength how many body bytes arrived, possibly more than {@code body.length}
 * @param protocol   the connection's protocol label (see {@link ConnectionStats#protocol()})
 */
record SimRequest(String method, String path, String authority, Http2Headers headers, byte[] body, long bodyLength,
                  String protocol) {

    /** A header's value, or null. */
    CharSequence header(CharSequence name) {
        return headers.get(name);
    }
}
