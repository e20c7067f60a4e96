package io.pushrelay.core.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2CodecUtil;
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
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.netty.util.concurrent.ScheduledFuture;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import io.pushrelay.core.observe.metrics.RetryReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/2 client connection to an upstream, and the handler of its pipeline
 * ({@link io.pushrelay.core.connect.UpstreamPipeline#UPSTREAM_H2}). Writes exchanges as streams,
 * aggregates each answer (status, regular headers, whole body) and hands it to the exchange;
 * reports to its {@link KeyPool} when it is ready (first SETTINGS), has room for another stream,
 * drains (GOAWAY received, idle, stream ids used up) and closes.
 *
 * <p>Who answers what: a complete answer goes through as is. A stream that ends otherwise is
 * retried only when the upstream provably did not process it: RST_STREAM REFUSED_STREAM, or an id
 * above a GOAWAY's last-stream-id (RFC 9113 6.8, 8.7); anything else (another reset code, the
 * connection lost mid-stream) is {@link RelayError#UPSTREAM_RESET}, never retried, since the
 * upstream may already have pushed the notification.
 *
 * <p>Keepalive: after {@code pingInterval} without a frame from the upstream a PING goes out; no
 * ack within {@code pingTimeout} closes the connection. After {@code idleTimeout} without a
 * stream the connection closes with GOAWAY.
 *
 * <p>Confined to its channel's event loop, which is also its key pool's loop. Buffers: response
 * DATA is copied into the exchange's body (the frame's buffer stays with the codec); request
 * bodies are written as retained duplicates (the exchange keeps the original).
 */
final class UpstreamHandler extends Http2ConnectionHandler implements Http2FrameListener {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamHandler.class);

    private final KeyPool pool;
    private final String id;
    private final UpstreamConfig config;
    private final long settingsTimeoutMillis;
    private final IntObjectMap<Exchange> exchanges = new IntObjectHashMap<>();

    private ChannelHandlerContext ctx;
    private boolean ready;
    private boolean draining;
    private boolean inactive;
    private int goAwayLastStreamId = -1;
    private Throwable lastCause;
    private long lastReadNanos;
    private long lastStreamNanos;
    private long pingSentNanos;
    private boolean pingOutstanding;
    private int maxActiveSeen;
    private ScheduledFuture<?> settingsTimer;
    private ScheduledFuture<?> tickTimer;

    private UpstreamHandler(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
                            KeyPool pool, String id, UpstreamConfig config, long settingsTimeoutMillis) {
        super(decoder, encoder, settings);
        this.pool = pool;
        this.id = id;
        this.config = config;
        this.settingsTimeoutMillis = settingsTimeoutMillis;
        connection().addListener(new Http2ConnectionAdapter() {
            @Override
            public void onStreamActive(Http2Stream stream) {
                pool.metrics().streamsInFlight.incrementAndGet();
                int active = connection().local().numActiveStreams();
                if (active > maxActiveSeen) {
                    maxActiveSeen = active;
                }
            }

            @Override
            public void onStreamClosed(Http2Stream stream) {
                pool.metrics().streamsInFlight.decrementAndGet();
                streamClosed(stream);
            }
        });
    }

    static UpstreamHandler create(KeyPool pool, String id, UpstreamConfig config, long settingsTimeoutMillis) {
        return new Builder(pool, id, config, settingsTimeoutMillis).build();
    }

    /** The connection's channel, once the handler is in its pipeline. */
    Channel channel() {
        return ctx == null ? null : ctx.channel();
    }

    /** A short id for logs and {@link RelayResponse#upstreamConnection()}, e.g. {@code u3}. */
    String id() {
        return id;
    }

    boolean isReady() {
        return ready && !draining && !inactive;
    }

    boolean isDraining() {
        return draining;
    }

    /** Ready, not draining, and below the upstream's SETTINGS_MAX_CONCURRENT_STREAMS. */
    boolean canOpenStream() {
        return isReady() && !connection().goAwayReceived() && connection().local().canOpenStream();
    }

    int activeStreams() {
        return connection().numActiveStreams();
    }

    /** The most streams this connection ever had open at once. */
    int maxActiveSeen() {
        return maxActiveSeen;
    }

    // ---- lifecycle -------------------------------------------------------------------------

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx);
        lastReadNanos = System.nanoTime();
        lastStreamNanos = lastReadNanos;
        settingsTimer = ctx.executor().schedule(() -> {
            if (!ready) {
                lastCause = new Http2Exception(Http2Error.SETTINGS_TIMEOUT,
                        "no SETTINGS from the upstream within " + settingsTimeoutMillis + " ms");
                ctx.channel().close();
            }
        }, settingsTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        lastReadNanos = System.nanoTime();
        super.channelRead(ctx, msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        if (lastCause == null) {
            lastCause = cause;
        }
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
            super.exceptionCaught(ctx, cause); // protocol errors: GOAWAY, then close
            return;
        }
        // Resets, broken pipes, TLS alerts: the connection is gone; its streams are answered on close.
        LOG.debug("upstream {} {}: {}", id, pool.key(), cause.toString(), cause);
        ctx.channel().close();
    }

    @Override
    protected void onConnectionError(ChannelHandlerContext ctx, boolean outbound, Throwable cause,
                                     Http2Exception http2Ex) {
        if (lastCause == null) {
            lastCause = cause;
        }
        LOG.debug("upstream {} connection error ({}): {}", id, outbound ? "sending" : "receiving", cause.toString(),
                cause);
        super.onConnectionError(ctx, outbound, cause, http2Ex);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        LOG.debug("upstream {} inactive: GOAWAY sent {}, received {}, draining {}, open streams {}", id,
                connection().goAwaySent(), connection().goAwayReceived(), draining, connection().numActiveStreams());
        inactive = true;
        cancelTimers();
        pool.connectionClosing(this);
        try {
            // Closes every stream: onStreamClosed answers or retries their exchanges.
            super.channelInactive(ctx);
        } finally {
            if (ready) {
                LOG.info("upstream {} closed: {}{}", id, pool.key(),
                        lastCause == null ? "" : " (" + lastCause.getMessage() + ")");
                pool.connectionClosed(this);
            } else {
                pool.connectFailed(this, failureBeforeReady());
            }
        }
    }

    private ConnectFailure failureBeforeReady() {
        Throwable cause = lastCause;
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return new ConnectFailure(RelayError.UPSTREAM_TLS_FAILED, "tls, " + pool.key().authority() + " ("
                        + pool.describeConnector() + "): closed after the handshake: " + t.getMessage());
            }
        }
        return new ConnectFailure(RelayError.UPSTREAM_UNAVAILABLE, pool.describeConnector() + " => "
                + pool.key().host() + ":" + pool.key().port() + ", closed before HTTP/2 SETTINGS"
                + (cause == null ? "" : ": " + cause.getMessage()));
    }

    /** Stops taking streams and closes with GOAWAY once the open ones are done. */
    void drain(String why) {
        if (draining || inactive) {
            return;
        }
        draining = true;
        LOG.debug("upstream {} draining ({}): {}", id, why, pool.key());
        pool.connectionDraining(this);
        closeIfDrained();
    }

    /** Closes now: open streams end as if the connection were lost. */
    void closeNow() {
        draining = true;
        gracefulShutdownTimeoutMillis(0);
        if (ctx != null) {
            ctx.channel().close();
        }
    }

    private void closeIfDrained() {
        if (draining && !inactive && connection().numActiveStreams() == 0 && ctx != null) {
            // Http2ConnectionHandler.close sends GOAWAY(NO_ERROR) unless one was sent already.
            ctx.close();
        }
    }

    private void cancelTimers() {
        if (settingsTimer != null) {
            settingsTimer.cancel(false);
        }
        if (tickTimer != null) {
            tickTimer.cancel(false);
        }
    }

    // ---- writing ---------------------------------------------------------------------------

    /**
     * Sends the exchange as a new stream. Returns false, with nothing sent, when no stream can be
     * opened here (the caller dispatches it elsewhere).
     */
    boolean write(Exchange ex) {
        if (!canOpenStream()) {
            return false;
        }
        int streamId = connection().local().incrementAndGetNextStreamId();
        if (streamId <= 0) {
            drain("stream ids used up");
            return false;
        }
        ByteBuf body = ex.request.body();
        boolean hasBody = body.isReadable();
        ex.connection = this;
        ex.streamId = streamId;
        exchanges.put(streamId, ex);
        encoder().writeHeaders(ctx, streamId, ex.upstreamHeaders(), 0, !hasBody, ctx.newPromise());
        if (connection().stream(streamId) == null) {
            // The codec refused to create the stream: nothing went out.
            if (exchanges.remove(streamId) != null) {
                ex.resetAttempt();
                drain("stream creation refused");
                return false;
            }
            return true; // created and closed at once: streamClosed dealt with it
        }
        if (hasBody) {
            // Flow-controlled: the encoder holds DATA until the upstream's window allows it.
            encoder().writeData(ctx, streamId, body.retainedDuplicate(), 0, true, ctx.newPromise());
        }
        lastStreamNanos = System.nanoTime();
        flush(ctx);
        return true;
    }

    /** Gives up on the exchange's stream (request timeout): RST_STREAM CANCEL. */
    void cancel(Exchange ex) {
        if (exchanges.remove(ex.streamId) != ex) {
            return;
        }
        Http2Stream stream = connection().stream(ex.streamId);
        if (stream != null && !inactive) {
            resetStream(ctx, ex.streamId, Http2Error.CANCEL.code(), ctx.newPromise());
            flush(ctx);
        }
    }

    // ---- reading ---------------------------------------------------------------------------

    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
        int processed = data.readableBytes() + padding;
        Exchange ex = exchanges.get(streamId);
        if (ex == null) {
            return processed;
        }
        if (ex.responseHeaders == null) {
            abort(ex, "DATA before the response head");
            return processed;
        }
        if (data.isReadable()) {
            if (ex.responseBody == null) {
                ex.responseBody = ctx.alloc().buffer(Math.min(data.readableBytes() * 2, config.maxResponseBytes()));
            }
            if (ex.responseBody.readableBytes() + data.readableBytes() > config.maxResponseBytes()) {
                abort(ex, "response body over " + config.maxResponseBytes() + " bytes");
                return processed;
            }
            ex.responseBody.writeBytes(data);
        }
        if (endOfStream) {
            finish(streamId, ex);
        }
        return processed;
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                              boolean endOfStream) {
        Exchange ex = exchanges.get(streamId);
        if (ex == null) {
            return;
        }
        if (ex.responseHeaders == null) {
            CharSequence status = headers.status();
            if (status != null && status.length() == 3 && status.charAt(0) == '1') {
                return; // informational (RFC 9110 15.2): the final head follows
            }
            ex.responseHeaders = headers;
        }
        // A later HEADERS block is trailers: APNS sends none; they are not relayed.
        if (endOfStream) {
            finish(streamId, ex);
        }
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency,
                              short weight, boolean exclusive, int padding, boolean endOfStream) {
        onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    private void finish(int streamId, Exchange ex) {
        exchanges.remove(streamId);
        Http2Headers headers = ex.responseHeaders;
        int status;
        try {
            status = HttpConversionUtil.parseStatus(headers.status()).code();
        } catch (Http2Exception e) {
            ex.fail(RelayError.UPSTREAM_RESET, "upstream " + id + " sent a bad :status");
            return;
        }
        headers.remove(Http2Headers.PseudoHeaderName.STATUS.value());
        ByteBuf body = ex.responseBody != null ? ex.responseBody : Unpooled.EMPTY_BUFFER;
        ex.responseBody = null;
        ex.respond(new RelayResponse(status, headers, body, null, id));
    }

    /** Stops a stream whose answer cannot be relayed, and answers UPSTREAM_RESET. */
    private void abort(Exchange ex, String why) {
        exchanges.remove(ex.streamId);
        resetStream(ctx, ex.streamId, Http2Error.PROTOCOL_ERROR.code(), ctx.newPromise());
        ex.fail(RelayError.UPSTREAM_RESET, "upstream " + id + ": " + why);
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
        Exchange ex = exchanges.get(streamId);
        if (ex != null) {
            ex.resetCode = errorCode;
            ex.refused = errorCode == Http2Error.REFUSED_STREAM.code();
        }
        // The stream closes right after this; streamClosed decides retry or reset.
    }

    private void streamClosed(Http2Stream stream) {
        Exchange ex = exchanges.remove(stream.id());
        lastStreamNanos = System.nanoTime();
        if (ex != null && !ex.done) {
            boolean notProcessed = ex.refused || (goAwayLastStreamId >= 0 && stream.id() > goAwayLastStreamId);
            if (notProcessed) {
                String why = ex.refused ? "REFUSED_STREAM" : "above GOAWAY last-stream-id " + goAwayLastStreamId;
                RetryReason reason = ex.refused ? RetryReason.REFUSED_STREAM : RetryReason.GOAWAY;
                ex.resetAttempt(); // forgets ex.refused too
                pool.retry(ex, reason, "upstream " + id + " stream " + stream.id() + ": " + why);
            } else if (ex.resetCode >= 0) {
                Http2Error code = Http2Error.valueOf(ex.resetCode);
                ex.fail(RelayError.UPSTREAM_RESET, "upstream " + id + " reset stream " + stream.id() + ": "
                        + (code == null ? ex.resetCode : code));
            } else {
                ex.fail(RelayError.UPSTREAM_RESET, "upstream " + id + " stream " + stream.id()
                        + " ended without an answer" + (inactive ? ": connection closed" : ""));
            }
        }
        if (!inactive) {
            closeIfDrained();
            pool.streamClosed(this);
        }
    }

    @Override
    public void onSettingsRead(ChannelHandlerContext ctx, Http2Settings settings) {
        if (!ready) {
            ready = true;
            settingsTimer.cancel(false);
            scheduleTick();
            LOG.info("upstream {} open: {} via {}, max concurrent streams {}", id, pool.key(),
                    pool.describeConnector(), connection().local().maxActiveStreams());
            pool.connectionReady(this);
        } else {
            // SETTINGS_MAX_CONCURRENT_STREAMS may have grown (APNS starts low).
            pool.streamClosed(this);
        }
    }

    @Override
    public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
        goAwayLastStreamId = goAwayLastStreamId < 0 ? lastStreamId : Math.min(goAwayLastStreamId, lastStreamId);
        pool.metrics().goAways.increment();
        Http2Error code = Http2Error.valueOf(errorCode);
        String debug = debugData.isReadable()
                ? debugData.toString(debugData.readerIndex(), Math.min(debugData.readableBytes(), 200),
                        StandardCharsets.UTF_8).replaceAll("[^\\x20-\\x7e]", "?")
                : "";
        LOG.info("upstream {} GOAWAY {} last-stream-id {}{}: {}", id, code == null ? errorCode : code, lastStreamId,
                debug.isEmpty() ? "" : " (" + debug + ")", pool.key());
        // Runs before the codec closes the streams above lastStreamId: they will be retried.
        drain("GOAWAY");
    }

    @Override
    public void onPingAckRead(ChannelHandlerContext ctx, long data) {
        pingOutstanding = false;
    }

    @Override
    public void onPingRead(ChannelHandlerContext ctx, long data) {
    }

    @Override
    public void onPriorityRead(ChannelHandlerContext ctx, int streamId, int streamDependency, short weight,
                               boolean exclusive) {
    }

    @Override
    public void onSettingsAckRead(ChannelHandlerContext ctx) {
    }

    @Override
    public void onPushPromiseRead(ChannelHandlerContext ctx, int streamId, int promisedStreamId,
                                  Http2Headers headers, int padding) throws Http2Exception {
        throw Http2Exception.connectionError(Http2Error.PROTOCOL_ERROR, "push is disabled");
    }

    @Override
    public void onWindowUpdateRead(ChannelHandlerContext ctx, int streamId, int windowSizeIncrement) {
    }

    @Override
    public void onUnknownFrame(ChannelHandlerContext ctx, byte frameType, int streamId, Http2Flags flags,
                               ByteBuf payload) {
    }

    // ---- keepalive and idle ----------------------------------------------------------------

    private void scheduleTick() {
        long ping = config.pingInterval().toNanos();
        long idle = config.idleTimeout().toNanos();
        long period = Long.MAX_VALUE;
        if (ping > 0) {
            period = Math.min(period, Math.min(ping, config.pingTimeout().toNanos()) / 2);
        }
        if (idle > 0) {
            period = Math.min(period, idle / 2);
        }
        if (period == Long.MAX_VALUE) {
            return;
        }
        long p = Math.max(period, TimeUnit.MILLISECONDS.toNanos(10));
        tickTimer = ctx.executor().scheduleAtFixedRate(this::tick, p, p, TimeUnit.NANOSECONDS);
    }

    private void tick() {
        if (inactive || !ready) {
            return;
        }
        long now = System.nanoTime();
        if (pingOutstanding) {
            if (now - pingSentNanos > config.pingTimeout().toNanos()) {
                LOG.warn("upstream {} gave no PING ack within {} ms, closing: {}", id, config.pingTimeout().toMillis(),
                        pool.key());
                lastCause = new Http2Exception(Http2Error.NO_ERROR, "no PING ack");
                closeNow();
                return;
            }
        } else if (!config.pingInterval().isZero() && now - lastReadNanos >= config.pingInterval().toNanos()) {
            pingOutstanding = true;
            pingSentNanos = now;
            encoder().writePing(ctx, false, now, ctx.newPromise());
            flush(ctx);
        }
        if (!config.idleTimeout().isZero() && !draining && connection().numActiveStreams() == 0
                && now - lastStreamNanos >= config.idleTimeout().toNanos()) {
            drain("idle " + config.idleTimeout().toMillis() + " ms");
        }
    }

    /** Builds the codec around the handler (Netty's builder carries the protective defaults). */
    private static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<UpstreamHandler, Builder> {
        private final KeyPool pool;
        private final String id;
        private final UpstreamConfig config;
        private final long settingsTimeoutMillis;

        Builder(KeyPool pool, String id, UpstreamConfig config, long settingsTimeoutMillis) {
            this.pool = pool;
            this.id = id;
            this.config = config;
            this.settingsTimeoutMillis = settingsTimeoutMillis;
            server(false);
            initialSettings(Http2Settings.defaultSettings().pushEnabled(false));
            // A local close (idle, drain) waits this long for open streams before closing.
            gracefulShutdownTimeoutMillis(config.requestTimeout().toMillis());
        }

        @Override
        protected UpstreamHandler build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                        Http2Settings initialSettings) {
            UpstreamHandler handler = new UpstreamHandler(decoder, encoder, initialSettings, pool, id, config,
                    settingsTimeoutMillis);
            frameListener(handler);
            return handler;
        }

        @Override
        public UpstreamHandler build() {
            return super.build();
        }
    }

    /** Why a connection that never became ready failed. */
    record ConnectFailure(RelayError error, String message) {
    }
}
