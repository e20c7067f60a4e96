package io.pushrelay.core.inbound;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
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
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AsciiString;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.forward.HopByHopHeaders;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.RelayResponse;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/2 server side of a downstream connection: each stream's HEADERS and DATA become
 * one {@link RelayRequest} for the {@link Forwarder}, and its answer goes back as HEADERS and
 * DATA (the remote flow controller holds what the downstream's window does not take yet).
 * Built on {@link Http2ConnectionHandler} with this class as the frame listener, without child
 * channels or frame objects: thousands of small POSTs a second per connection.
 *
 * <p>Flow control: request bytes are returned to the windows only when the request is
 * complete (or its stream closes), so a downstream cannot push more than the windows of
 * bodies at us; the stream window (1 MiB) is above every route's body limit. A body over the
 * route's limit is answered 413 at once (HEADERS with {@code content-length}, or the DATA
 * crossing it) and the rest of the stream reset with NO_ERROR once the answer is written
 * (RFC 9113 8.1).
 *
 * <p>Drain ({@link DrainEvent}) and idle timeout ({@link IdleStateEvent}): GOAWAY and close
 * only once no stream is in flight; while draining, only once none has been for
 * {@link #DRAIN_QUIET_MILLIS}, so that a sender between two bursts is not cut off (Pushy fails
 * every stream it has in flight on a GOAWAY, and cannot reconnect to a draining relay).
 *
 * <p>Threads: everything runs on the connection's event loop; answers from elsewhere hop
 * there through {@link ExchangeSink}. Buffers: request bodies are copied out of DATA frames
 * into one buffer per stream, which the {@link RelayRequest} then owns; a stream that closes
 * before its request is complete releases it.
 */
public final class H2InboundHandler extends Http2ConnectionHandler implements Http2FrameListener {
    private static final Logger LOG = LoggerFactory.getLogger(H2InboundHandler.class);

    /** Initial stream window announced downstream: above every route's body limit. */
    public static final int STREAM_WINDOW_BYTES = 1 << 20;
    /** Connection window: room for many bodies in flight at once. */
    public static final int CONNECTION_WINDOW_BYTES = 16 << 20;
    /** While draining, how long a connection must be without streams before its GOAWAY. */
    public static final long DRAIN_QUIET_MILLIS = 1000;
    /** How long a close waits for streams still in flight (after GOAWAY) when it is not forced. */
    public static final long GRACEFUL_CLOSE_MILLIS = 5000;
    /** SETTINGS_MAX_HEADER_LIST_SIZE, as the HTTP/1.1 side's header limit. */
    public static final int MAX_HEADER_LIST_BYTES = 16 << 10;
    private static final int INITIAL_BODY_CAPACITY = 1024;
    private static final AsciiString HOST = AsciiString.cached("host");
    private static final Http2Headers.PseudoHeaderName[] PSEUDO_HEADERS = Http2Headers.PseudoHeaderName.values();

    private final InboundSettings settings;
    private final Forwarder forwarder;
    private final Http2Connection.PropertyKey exchangeKey;
    private ChannelHandlerContext ctx;
    private Downstream downstream;
    private boolean windowOpened;
    private boolean draining;
    private boolean drainTimerSet;
    private long streamsOpened;
    private boolean flushScheduled;

    private H2InboundHandler(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                             Http2Settings initialSettings, InboundSettings settings, Forwarder forwarder) {
        super(decoder, encoder, initialSettings);
        this.settings = settings;
        this.forwarder = forwarder;
        this.exchangeKey = connection().newKey();
        decoder.frameListener(this);
        connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamActive(Http2Stream stream) {
                streamsOpened++;
            }

            @Override
            public void onStreamClosed(Http2Stream stream) {
                H2Exchange exchange = stream.removeProperty(exchangeKey);
                if (exchange != null) {
                    exchange.releaseBody();
                }
                if (draining) {
                    scheduleDrainCheck();
                }
            }
        });
    }

    /** A handler for one connection. */
    public static H2InboundHandler create(InboundSettings settings, Forwarder forwarder) {
        return new Builder(settings, forwarder).build();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
        downstream = ConnectionAttributes.downstream(ctx.channel());
        draining = ConnectionAttributes.draining(ctx.channel());
        if (ctx.channel().isActive()) {
            openConnectionWindow(ctx);
            ctx.read();
        }
        if (draining) {
            // Negotiated while the listener drains: serve what is already here, then GOAWAY.
            scheduleDrainCheck();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        super.channelActive(ctx);
        openConnectionWindow(ctx);
        ctx.read();
    }

    /** Called once the preface (our SETTINGS) went out: when the channel is active. */
    private void openConnectionWindow(ChannelHandlerContext ctx) throws Http2Exception {
        if (!windowOpened) {
            windowOpened = true;
            int delta = CONNECTION_WINDOW_BYTES - connection().local().flowController()
                    .windowSize(connection().connectionStream());
            if (delta > 0) {
                connection().local().flowController().incrementWindowSize(connection().connectionStream(), delta);
                ctx.flush();
            }
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == DrainEvent.INSTANCE) {
            draining = true;
            scheduleDrainCheck();
            return;
        }
        if (evt instanceof IdleStateEvent) {
            if (connection().numActiveStreams() == 0) {
                settings.counters().idleClosed.increment();
                LOG.debug("{}: idle, GOAWAY and close", downstream);
                ctx.channel().close();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    /**
     * Closes the connection now: GOAWAY, then close without waiting for streams in flight
     * (their answers are dropped). Must run on the connection's event loop.
     */
    public void closeNow() {
        gracefulShutdownTimeoutMillis(0);
        ctx.channel().close();
    }

    private void scheduleDrainCheck() {
        // Stream-closed callbacks run inside frame writes and reads: decide from a fresh task.
        ctx.executor().execute(this::drainCheck);
    }

    /** Draining and no stream in flight: GOAWAY and close if none opens for {@link #DRAIN_QUIET_MILLIS}. */
    private void drainCheck() {
        if (!draining || drainTimerSet || !ctx.channel().isActive() || connection().numActiveStreams() != 0) {
            return; // the last stream to close checks again
        }
        drainTimerSet = true;
        long opened = streamsOpened;
        ctx.executor().schedule(() -> {
            drainTimerSet = false;
            if (streamsOpened != opened) {
                drainCheck(); // the sender was not done: wait for quiet again
            } else if (ctx.channel().isActive() && connection().numActiveStreams() == 0) {
                LOG.debug("{}: drained, GOAWAY and close", downstream);
                // Through the whole pipeline, so that this handler's close() sends GOAWAY first.
                ctx.channel().close();
            }
        }, DRAIN_QUIET_MILLIS, TimeUnit.MILLISECONDS);
    }

    // ---- requests ----

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                              boolean endOfStream) throws Http2Exception {
        Http2Stream stream = connection().stream(streamId);
        if (stream == null) {
            return;
        }
        H2Exchange exchange = stream.getProperty(exchangeKey);
        if (exchange != null) {
            // Trailers: the request ends here; their fields are not relayed (APNS and FCM use none).
            if (endOfStream && exchange.receiving) {
                complete(stream, exchange);
            }
            return;
        }
        settings.counters().h2Requests.increment();
        long receivedNanos = System.nanoTime();
        CharSequence method = headers.method();
        CharSequence scheme = headers.scheme();
        CharSequence path = headers.path();
        CharSequence authority = headers.authority();
        if (authority == null) {
            authority = headers.get(HOST);
        }
        for (Http2Headers.PseudoHeaderName pseudo : PSEUDO_HEADERS) {
            headers.remove(pseudo.value());
        }
        headers.remove(HOST);
        HopByHopHeaders.strip(headers);
        exchange = new H2Exchange(streamId, str(method), scheme == null ? settings.scheme() : scheme.toString(),
                str(authority), str(path), headers, receivedNanos);
        stream.setProperty(exchangeKey, exchange);
        if (method == null || path == null || authority == null) {
            // RFC 9113 8.3.1: a request without :method, :path or any authority is malformed.
            settings.counters().badRequests.increment();
            answerEarly(stream, exchange, RelayError.BAD_REQUEST);
            return;
        }
        exchange.limit = forwarder.bodyLimit(exchange.authority);
        long contentLength = contentLength(headers);
        if (contentLength == -2) {
            settings.counters().badRequests.increment();
            answerEarly(stream, exchange, RelayError.BAD_REQUEST);
            return;
        }
        if (contentLength > exchange.limit) {
            settings.counters().bodiesTooLarge.increment();
            answerEarly(stream, exchange, RelayError.BODY_TOO_LARGE);
            return;
        }
        exchange.expectedLength = contentLength;
        if (endOfStream) {
            complete(stream, exchange);
        }
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                              short weight, boolean exclusive, int padding, boolean endOfStream)
            throws Http2Exception {
        onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream)
            throws Http2Exception {
        int bytes = data.readableBytes() + padding;
        Http2Stream stream = connection().stream(streamId);
        H2Exchange exchange = stream == null ? null : stream.getProperty(exchangeKey);
        if (exchange == null || !exchange.receiving) {
            // Already answered (or unknown): nothing to keep, give the window back now.
            return bytes;
        }
        int size = exchange.body == null ? 0 : exchange.body.readableBytes();
        if ((long) size + data.readableBytes() > exchange.limit) {
            settings.counters().bodiesTooLarge.increment();
            answerEarly(stream, exchange, RelayError.BODY_TOO_LARGE);
            return bytes;
        }
        exchange.unconsumed += bytes;
        if (data.isReadable()) {
            if (exchange.body == null) {
                int capacity = exchange.expectedLength > 0 ? (int) exchange.expectedLength
                        : Math.min(exchange.limit, Math.max(INITIAL_BODY_CAPACITY, data.readableBytes()));
                exchange.body = ctx.alloc().buffer(Math.max(capacity, data.readableBytes()));
            }
            exchange.body.writeBytes(data);
        }
        if (endOfStream) {
            complete(stream, exchange);
        }
        return 0;
    }

    private void complete(Http2Stream stream, H2Exchange exchange) throws Http2Exception {
        exchange.receiving = false;
        if (exchange.unconsumed > 0) {
            int consumed = exchange.unconsumed;
            exchange.unconsumed = 0;
            connection().local().flowController().consumeBytes(stream, consumed);
        }
        ByteBuf body = exchange.body != null ? exchange.body : Unpooled.EMPTY_BUFFER;
        exchange.body = null;
        RelayRequest request = exchange.request(body, remoteAddress(), downstream.id());
        StreamSink sink = new StreamSink(exchange.streamId, false);
        try {
            forwarder.forward(request, downstream, sink);
        } catch (RuntimeException e) {
            LOG.error("{}: forwarding failed", downstream, e);
            sink.respond(RelayResponse.of(RelayError.INTERNAL, ctx.alloc()));
        }
    }

    /** Answers before the request is complete; the rest of the stream is reset once the answer is out. */
    private void answerEarly(Http2Stream stream, H2Exchange exchange, RelayError error) {
        exchange.receiving = false;
        exchange.releaseBody();
        RelayRequest request = exchange.request(Unpooled.EMPTY_BUFFER, remoteAddress(), downstream.id());
        forwarder.refuse(request, error, new StreamSink(stream.id(), true));
    }

    private InetSocketAddress remoteAddress() {
        return downstream.address();
    }

    // ---- answers ----

    /** Writes one stream's answer; reached on the event loop through {@link ExchangeSink}. */
    private final class StreamSink extends ExchangeSink {
        private final int streamId;
        private final boolean resetAfter;

        StreamSink(int streamId, boolean resetAfter) {
            super(ctx.executor());
            this.streamId = streamId;
            this.resetAfter = resetAfter;
        }

        @Override
        protected void deliver(RelayResponse response) {
            Http2Stream stream = connection().stream(streamId);
            if (stream == null || !ctx.channel().isActive() || !canSend(stream)) {
                // The downstream reset the stream or went away: nobody to answer.
                response.release();
                return;
            }
            ByteBuf body = response.body();
            boolean hasBody = body.isReadable();
            Http2Headers headers = responseHeaders(response, hasBody ? body.readableBytes() : 0);
            ChannelFuture last = encoder().writeHeaders(ctx, streamId, headers, 0, !hasBody, ctx.newPromise());
            if (hasBody) {
                last = encoder().writeData(ctx, streamId, body, 0, true, ctx.newPromise());
            } else {
                body.release();
            }
            if (resetAfter) {
                last.addListener(f -> {
                    Http2Stream s = connection().stream(streamId);
                    if (f.isSuccess() && s != null && s.state() != Http2Stream.State.CLOSED) {
                        resetStream(ctx, streamId, Http2Error.NO_ERROR.code(), ctx.newPromise());
                        flush(ctx);
                    }
                });
            }
            scheduleFlush();
        }

        @Override
        public String toString() {
            return "stream " + streamId + " of " + downstream;
        }
    }

    private static boolean canSend(Http2Stream stream) {
        Http2Stream.State state = stream.state();
        return state == Http2Stream.State.OPEN || state == Http2Stream.State.HALF_CLOSED_REMOTE;
    }

    private void scheduleFlush() {
        // Answers arrive as separate tasks; one flush after a burst of them is enough.
        if (!flushScheduled) {
            flushScheduled = true;
            ctx.executor().execute(() -> {
                flushScheduled = false;
                flush(ctx);
            });
        }
    }

    static Http2Headers responseHeaders(RelayResponse response, int contentLength) {
        Http2Headers in = response.headers();
        Http2Headers out = new DefaultHttp2Headers(false, in == null ? 2 : in.size() + 2);
        out.status(HttpResponseStatus.valueOf(response.status()).codeAsText());
        if (in != null) {
            for (Map.Entry<CharSequence, CharSequence> header : in) {
                CharSequence name = header.getKey();
                if (name.length() == 0 || name.charAt(0) == ':') {
                    continue;
                }
                out.add(AsciiString.of(name).toLowerCase(), header.getValue());
            }
        }
        HopByHopHeaders.strip(out);
        out.remove(HttpHeaderNames.CONTENT_LENGTH);
        if (contentLength > 0) {
            out.setInt(HttpHeaderNames.CONTENT_LENGTH, contentLength);
        }
        return out;
    }

    /** -1 when absent, -2 when malformed. */
    private static long contentLength(Http2Headers headers) {
        CharSequence value = headers.get(HttpHeaderNames.CONTENT_LENGTH);
        if (value == null) {
            return -1;
        }
        try {
            long length = Long.parseLong(value.toString().trim());
            return length < 0 ? -2 : length;
        } catch (NumberFormatException e) {
            return -2;
        }
    }

    private static String str(CharSequence value) {
        return value == null ? "" : value.toString();
    }

    // ---- frames this side does not act on ----

    @Override
    public void onPriorityRead(ChannelHandlerContext ctx, int streamId, int streamDependency, short weight,
                               boolean exclusive) {
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
        // The stream-closed listener releases what the stream held.
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
                                  Http2Headers headers, int padding) {
    }

    @Override
    public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
        LOG.debug("{}: GOAWAY from downstream, error {}", downstream, errorCode);
    }

    @Override
    public void onWindowUpdateRead(ChannelHandlerContext ctx, int streamId, int windowSizeIncrement) {
    }

    @Override
    public void onUnknownFrame(ChannelHandlerContext ctx, byte frameType, int streamId, Http2Flags flags,
                               ByteBuf payload) {
    }

    /** One stream's request while it arrives. */
    private static final class H2Exchange {
        final int streamId;
        final String method;
        final String scheme;
        final String authority;
        final String path;
        final Http2Headers headers;
        final long receivedNanos;
        int limit;
        long expectedLength = -1;
        boolean receiving = true;
        int unconsumed;
        ByteBuf body;

        H2Exchange(int streamId, String method, String scheme, String authority, String path, Http2Headers headers,
                   long receivedNanos) {
            this.streamId = streamId;
            this.method = method;
            this.scheme = scheme;
            this.authority = authority;
            this.path = path;
            this.headers = headers;
            this.receivedNanos = receivedNanos;
        }

        RelayRequest request(ByteBuf body, InetSocketAddress remote, String downstreamId) {
            return new RelayRequest(method, scheme, authority, path, headers, body, remote, downstreamId,
                    receivedNanos);
        }

        void releaseBody() {
            if (body != null) {
                body.release();
                body = null;
            }
        }
    }

    private static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<H2InboundHandler, Builder> {
        private final InboundSettings inbound;
        private final Forwarder forwarder;

        Builder(InboundSettings inbound, Forwarder forwarder) {
            this.inbound = inbound;
            this.forwarder = forwarder;
            server(true);
            gracefulShutdownTimeoutMillis(GRACEFUL_CLOSE_MILLIS);
            initialSettings(Http2Settings.defaultSettings()
                    .maxConcurrentStreams(inbound.maxConcurrentStreams())
                    .initialWindowSize(STREAM_WINDOW_BYTES)
                    .maxHeaderListSize(MAX_HEADER_LIST_BYTES));
        }

        @Override
        protected H2InboundHandler build() {
            return super.build();
        }

        @Override
        protected H2InboundHandler build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                         Http2Settings initialSettings) {
            return new H2InboundHandler(decoder, encoder, initialSettings, inbound, forwarder);
        }
    }
}
