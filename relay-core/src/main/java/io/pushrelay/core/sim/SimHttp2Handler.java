package io.pushrelay.core.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameListener;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/2 side of a simulator: collects each stream's headers and body, asks the
 * {@link SimService}, writes the answer (at once, or after the configured delay), and applies
 * the endpoint's HTTP/2 behaviour: SETTINGS_MAX_CONCURRENT_STREAMS raised after the first
 * answer (as APNS does), GOAWAY after N streams, connection dropped after N streams.
 *
 * <p>Threading: everything runs on the connection's event loop, delayed answers included
 * (scheduled on it). Buffers: DATA frames are copied and returned to flow control at once; the
 * decoder releases them. Writes are flushed by {@link Http2ConnectionHandler} at the end of
 * each read, or explicitly after a delayed answer.
 */
final class SimHttp2Handler extends Http2ConnectionHandler implements Http2FrameListener {
    private static final Logger LOG = LoggerFactory.getLogger(SimHttp2Handler.class);
    /** How long a connection that sent GOAWAY stays open after its last stream, for the client to close it. */
    static final long GOAWAY_LINGER_MILLIS = 1000;

    private final SimEndpoint endpoint;
    private final SimConnection connection;
    private final Http2Connection.PropertyKey requestKey;
    private boolean raised;
    private boolean goingAway;
    private boolean closeScheduled;
    private boolean dropped;

    private SimHttp2Handler(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
                            SimEndpoint endpoint, SimConnection connection) {
        super(decoder, encoder, settings);
        this.endpoint = endpoint;
        this.connection = connection;
        this.requestKey = connection().newKey();
    }

    static SimHttp2Handler create(SimEndpoint endpoint, SimConnection connection) {
        return new Builder(endpoint, connection).build();
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                              boolean endOfStream) {
        if (dropped) {
            return;
        }
        Http2Stream stream = connection().stream(streamId);
        PendingRequest pending = stream == null ? null : stream.getProperty(requestKey);
        if (pending != null) {
            // Trailers (RFC 9113 8.1): the request ends here.
            if (endOfStream) {
                stream.removeProperty(requestKey);
                dispatch(ctx, streamId, pending);
            }
            return;
        }
        connection.countStream();
        long seen = connection.streams;
        if (endpoint.dropAfterStreams > 0 && seen > endpoint.dropAfterStreams) {
            drop(ctx, streamId);
            return;
        }
        pending = new PendingRequest(headers, endpoint.maxBodyBytes);
        if (endOfStream) {
            dispatch(ctx, streamId, pending);
        } else if (stream != null) {
            stream.setProperty(requestKey, pending);
        }
        if (endpoint.goAwayAfterStreams > 0 && seen == endpoint.goAwayAfterStreams && !goingAway) {
            goAwayAfter(ctx, streamId);
        }
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                              short weight, boolean exclusive, int padding, boolean endOfStream) {
        onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
        int processed = data.readableBytes() + padding;
        Http2Stream stream = connection().stream(streamId);
        PendingRequest pending = stream == null ? null : stream.getProperty(requestKey);
        if (pending == null) {
            return processed;
        }
        pending.append(data);
        if (endOfStream) {
            stream.removeProperty(requestKey);
            dispatch(ctx, streamId, pending);
        }
        return processed;
    }

    private void dispatch(ChannelHandlerContext ctx, int streamId, PendingRequest pending) {
        SimRequest request = pending.toRequest(connection.protocol);
        SimResponse response;
        try {
            response = endpoint.service.handle(request, connection);
        } catch (RuntimeException e) {
            LOG.warn("{} {}: stream {}: simulator bug: {}", endpoint.name, connection.id, streamId, e.toString(), e);
            response = SimResponse.internalError();
        }
        connection.countAnswer(response.status());
        if (endpoint.answerDelayMillis > 0) {
            SimResponse delayed = response;
            ctx.executor().schedule(() -> {
                write(ctx, streamId, delayed);
                ctx.flush();
            }, endpoint.answerDelayMillis, TimeUnit.MILLISECONDS);
        } else {
            write(ctx, streamId, response);
        }
        if (!raised && endpoint.raisedMaxStreams > 0) {
            raised = true;
            encoder().writeSettings(ctx, new Http2Settings().maxConcurrentStreams(endpoint.raisedMaxStreams),
                    ctx.newPromise());
        }
    }

    private void write(ChannelHandlerContext ctx, int streamId, SimResponse response) {
        Http2Stream stream = connection().stream(streamId);
        if (stream == null || !ctx.channel().isActive()) {
            return; // reset by the client meanwhile, or the connection is gone
        }
        Http2Headers headers = response.headers().status(Integer.toString(response.status()));
        boolean bodyless = response.body().length == 0;
        encoder().writeHeaders(ctx, streamId, headers, 0, bodyless, ctx.newPromise());
        if (!bodyless) {
            encoder().writeData(ctx, streamId, Unpooled.wrappedBuffer(response.body()), 0, true, ctx.newPromise());
        }
    }

    /**
     * GOAWAY naming this stream as the last one processed; it and earlier ones are still
     * answered. The connection is closed {@link #GOAWAY_LINGER_MILLIS} after its last stream
     * ends, unless the client closes it first (as clients do after a GOAWAY): closing at once
     * could make the client's kernel reset the connection, and so lose the last answers, when
     * a late frame of the client's (a WINDOW_UPDATE) meets a closed socket.
     */
    private void goAwayAfter(ChannelHandlerContext ctx, int lastStreamId) {
        goingAway = true;
        endpoint.goAwaysSent.increment();
        LOG.info("{} {}: GOAWAY after {} streams (last stream {})", endpoint.name, connection.id,
                endpoint.goAwayAfterStreams, lastStreamId);
        goAway(ctx, lastStreamId, Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER, ctx.newPromise());
        ctx.flush();
        connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamClosed(Http2Stream stream) {
                closeWhenIdle(ctx);
            }
        });
        closeWhenIdle(ctx);
    }

    private void closeWhenIdle(ChannelHandlerContext ctx) {
        if (connection().numActiveStreams() == 0 && !closeScheduled) {
            closeScheduled = true;
            ctx.executor().schedule(() -> {
                ctx.channel().close();
            }, GOAWAY_LINGER_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Closes the TCP connection under TLS: no answer, no GOAWAY, no close_notify. */
    private void drop(ChannelHandlerContext ctx, int streamId) {
        dropped = true;
        endpoint.connectionsDropped.increment();
        LOG.info("{} {}: dropping the connection at stream {} (after {} streams)", endpoint.name, connection.id,
                streamId, endpoint.dropAfterStreams);
        ChannelHandlerContext tls = ctx.pipeline().context(SimHandlerNames.TLS);
        (tls != null ? tls : ctx).close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
            super.exceptionCaught(ctx, cause);
        } else if (cause instanceof IOException) {
            LOG.debug("{} {}: {}", endpoint.name, connection.id, cause.toString());
            ctx.close();
        } else {
            LOG.warn("{} {}: closing after {}", endpoint.name, connection.id, cause.toString());
            LOG.debug("{} {}", endpoint.name, connection.id, cause);
            ctx.close();
        }
    }

    @Override
    public void onPriorityRead(ChannelHandlerContext ctx, int streamId, int streamDependency, short weight,
                               boolean exclusive) {
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
    }

    @Override
    public void onSettingsAckRead(ChannelHandlerContext ctx) {
    }

    @Override
    public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
    }

    @Override
    public void onPingRead(ChannelHandlerContext ctx, long data) {
    }

    @Override
    public void onPingAckRead(ChannelHandlerContext ctx, long data) {
    }

    @Override
    public void onPushPromiseRead(ChannelHandlerContext ctx, int streamId, int promisedStreamId,
                                  Http2Headers headers, int padding) throws Http2Exception {
        throw Http2Exception.connectionError(Http2Error.PROTOCOL_ERROR, "a client sent PUSH_PROMISE");
    }

    @Override
    public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
    }

    @Override
    public void onWindowUpdateRead(ChannelHandlerContext ctx, int streamId, int windowSizeIncrement) {
    }

    @Override
    public void onUnknownFrame(ChannelHandlerContext ctx, byte frameType, int streamId, Http2Flags flags,
                               ByteBuf payload) {
    }

    /** One stream's request while its body arrives. Event loop only. */
    private static final class PendingRequest {
        private final Http2Headers headers;
        private final int cap;
        private byte[] body = SimResponse.EMPTY;
        private int length;
        private long total;

        PendingRequest(Http2Headers headers, int cap) {
            this.headers = headers;
            this.cap = cap;
        }

        /** Copies what fits under the cap; counts all of it. Does not release {@code data}. */
        void append(ByteBuf data) {
            int n = data.readableBytes();
            total += n;
            int take = Math.min(n, cap - length);
            if (take <= 0) {
                return;
            }
            if (length + take > body.length) {
                body = Arrays.copyOf(body, length == 0 ? take : Math.min(cap, Math.max(length * 2, length + take)));
            }
            data.getBytes(data.readerIndex(), body, length, take);
            length += take;
        }

        SimRequest toRequest(String protocol) {
            byte[] bytes = length == body.length ? body : Arrays.copyOf(body, length);
            CharSequence method = headers.method();
            CharSequence path = headers.path();
            CharSequence authority = headers.authority();
            return new SimRequest(method == null ? "" : method.toString(), path == null ? "" : path.toString(),
                    authority == null ? null : authority.toString(), headers, bytes, total, protocol);
        }
    }

    private static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<SimHttp2Handler, Builder> {
        private final SimEndpoint endpoint;
        private final SimConnection connection;

        Builder(SimEndpoint endpoint, SimConnection connection) {
            this.endpoint = endpoint;
            this.connection = connection;
            server(true);
            initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(endpoint.initialMaxStreams));
            gracefulShutdownTimeoutMillis(5_000);
        }

        @Override
        public SimHttp2Handler build() {
            return super.build();
        }

        @Override
        protected SimHttp2Handler build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                        Http2Settings initialSettings) {
            SimHttp2Handler handler = new SimHttp2Handler(decoder, encoder, initialSettings, endpoint, connection);
            frameListener(handler);
            return handler;
        }
    }
}
