package io.pushrelay.core.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.policy.Route;
import java.util.Map;

/**
 * One request on its way through the pool, from {@code send} to its single answer (see
 * {@link AbstractExchange}): the attempt on an HTTP/2 stream. Confined to the event loop of its
 * {@link KeyPool}.
 */
final class Exchange extends AbstractExchange {
    private static final AsciiString HTTPS = AsciiString.cached("https");

    /** The key pool it belongs to (replaced if that pool was retired while it waited). */
    KeyPool pool;

    /** When the request times out ({@link LoopPool}'s timeout list, while {@code watched}). */
    long deadlineNanos;
    boolean watched;
    Exchange prevWatched;
    Exchange nextWatched;
    /** How often it was sent again after REFUSED_STREAM or a connection that failed before sending it. */
    int retries;
    /** Retries after a GOAWAY left the stream unprocessed; counted apart from {@link #retries}. */
    int goAwayRetries;

    /** The connection and stream of the current attempt, when written. */
    UpstreamHandler connection;
    int streamId;
    /** The upstream refused the current stream (RST_STREAM REFUSED_STREAM): not processed. */
    boolean refused;
    /** The error code of an RST_STREAM that ended the current attempt, or -1. */
    long resetCode = -1;
    /** The final response head of the current attempt, when received. */
    Http2Headers responseHeaders;
    /** The response body of the current attempt, aggregated; owned here until answered. */
    ByteBuf responseBody;

    private Http2Headers upstreamHeaders;

    Exchange(Route route, RelayRequest request, ResponseSink sink, KeyPool pool) {
        super(route, request, sink);
        this.pool = pool;
    }

    /**
     * The request head as sent upstream: {@code :method :scheme(https) :authority(route's)
     * :path}, then the request's regular headers ({@code authorization} untouched). Built once.
     */
    Http2Headers upstreamHeaders() {
        if (upstreamHeaders == null) {
            Http2Headers in = request.headers();
            Http2Headers out = new DefaultHttp2Headers(false, in.size() + 4);
            out.method(request.method()).scheme(HTTPS).authority(route.authority()).path(request.path());
            for (Map.Entry<CharSequence, CharSequence> header : in) {
                CharSequence name = header.getKey();
                if (name.length() > 0 && name.charAt(0) != ':') {
                    out.add(name, header.getValue());
                }
            }
            upstreamHeaders = out;
        }
        return upstreamHeaders;
    }

    /** Forgets the current attempt (before a retry), releasing a partial response. */
    void resetAttempt() {
        connection = null;
        streamId = 0;
        refused = false;
        resetCode = -1;
        responseHeaders = null;
        if (responseBody != null) {
            responseBody.release();
            responseBody = null;
        }
    }

    @Override
    String connectionId() {
        return connection != null ? connection.id() : "-";
    }

    @Override
    void settle() {
        pool.unwatch(this);
        resetAttempt();
    }

    @Override
    void answered(RelayError error) {
        pool.exchangeDone(this, error);
    }
}
