package io.pushrelay.core.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.pushrelay.core.forward.HopByHopHeaders;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/1.1 keep-alive connection of the {@link Http1Upstream}, and the last handler of its
 * pipeline ({@link io.pushrelay.core.connect.UpstreamPipeline#UPSTREAM_H1}, after the response
 * decoder). Carries one request at a time, never pipelined: writes it in origin-form with
 * {@code Content-Length}, aggregates the answer (status, headers without hop-by-hop ones, whole
 * body) into a {@link RelayResponse}, then goes back to its {@link H1LoopPool} as idle (or closes,
 * when the upstream said {@code Connection: close} or answered before the request was written).
 *
 * <p><b>Who answers what.</b> A complete answer goes through as is. If the connection ends
 * otherwise, the request is sent again (once, on a connection proven alive) only when not one of
 * its bytes reached the socket ({@link H1WriteMeter}); anything else is
 * {@link RelayError#UPSTREAM_RESET} and never retried, even the keep-alive race (a reused
 * connection that the upstream closes before any byte of the answer): a {@code POST} is not
 * idempotent (RFC 9110 9.2.2), the upstream may have read it and relay-post may have pushed it,
 * and APNS does not promise to drop a repeated {@code apns-id}; Go's {@code net/http} draws the
 * same line for requests it cannot replay. The sender sees a 5xx and decides.
 *
 * <p>Confined to its channel's event loop, which is its loop pool's. Buffers: the request is
 * written as a fresh head plus a retained duplicate of the body (the exchange keeps the
 * original); response content is copied into the exchange's answer and released here.
 */
final class H1Connection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(H1Connection.class);
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] HTTP_1_1 = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
    /** Header fields the request never carries as given: set here, or meaningless on this hop. */
    private static final Set<AsciiString> NOT_FORWARDED = Set.of(
            AsciiString.cached("host"), AsciiString.cached("content-length"), AsciiString.cached("transfer-encoding"),
            AsciiString.cached("connection"), AsciiString.cached("keep-alive"), AsciiString.cached("te"),
            AsciiString.cached("upgrade"), AsciiString.cached("expect"), AsciiString.cached("http2-settings"));
    private static final AsciiString FORWARDED = AsciiString.cached("forwarded");

    private final H1LoopPool pool;
    private final String id;
    private final Http1UpstreamConfig config;
    private final H1WriteMeter meter = new H1WriteMeter();

    private ChannelHandlerContext ctx;
    private boolean ready;
    private boolean inactive;
    /** Closing: takes no request, ignores what it reads. */
    private boolean closing;
    /** The relay closed it on purpose (idle, timeout, abort, drain, not reusable), not a failure. */
    private boolean closedByUs;
    /** Answers completed on this connection. */
    private int served;
    private ScheduledFuture<?> idleTimer;

    // The current exchange.
    private H1Exchange current;
    private boolean reusedForCurrent;
    private long meterAtWrite;
    private boolean writeDone;
    private boolean responseBytes;
    private boolean skippingInformational;
    private HttpResponse head;
    private ByteBuf body;

    H1Connection(H1LoopPool pool, String id, Http1UpstreamConfig config) {
        this.pool = pool;
        this.id = id;
        this.config = config;
    }

    /** A short id for logs and {@link RelayResponse#upstreamConnection()}, e.g. {@code v3}. */
    String id() {
        return id;
    }

    /** The bottom handler that counts bytes handed to the socket; first in the pipeline. */
    H1WriteMeter meter() {
        return meter;
    }

    /** The response decoder to put in front of this handler. */
    HttpResponseDecoder newDecoder() {
        HttpDecoderConfig decoderConfig = new HttpDecoderConfig()
                .setMaxInitialLineLength(Math.min(8192, config.maxResponseHeadBytes()))
                .setMaxHeaderSize(config.maxResponseHeadBytes())
                .setMaxChunkSize(64 * 1024);
        return new HttpResponseDecoder(decoderConfig) {
            @Override
            public void channelRead(ChannelHandlerContext c, Object msg) throws Exception {
                if (msg instanceof ByteBuf buf && buf.isReadable()) {
                    responseBytes = true;
                }
                super.channelRead(c, msg);
            }
        };
    }

    Channel channel() {
        return ctx == null ? null : ctx.channel();
    }

    /** The connector handed the connection over: it may carry requests. */
    void markReady() {
        ready = true;
    }

    /** Ready, open, not closing, and carrying nothing. */
    boolean isFree() {
        return ready && !inactive && !closing && current == null && ctx != null && ctx.channel().isActive();
    }

    boolean isBusy() {
        return current != null;
    }

    // ---- lifecycle -------------------------------------------------------------------------

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        inactive = true;
        cancelIdleTimer();
        H1Exchange ex = current;
        if (ex != null) {
            detach();
            if (!ex.done) {
                ended(ex, "connection closed"
                        + (responseBytes ? " in the middle of the answer" : " before any byte of the answer"));
            }
        } else if (ready && !closedByUs) {
            pool.metrics().closedIdleByUpstream.increment();
            LOG.debug("upstream {} closed by {} while idle", id, pool.via());
        }
        releaseResponse();
        pool.connectionClosed(this);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets, broken pipes, TLS alerts: the connection is gone; channelInactive answers.
        LOG.debug("upstream {} {}: {}", id, pool.via(), cause.toString(), cause);
        shutDown();
    }

    /** Closes on purpose; an exchange still on it is answered by {@link #channelInactive}. */
    void close() {
        closedByUs = true;
        shutDown();
    }

    private void shutDown() {
        closing = true;
        cancelIdleTimer();
        if (ctx != null) {
            ctx.channel().close();
        }
    }

    /** Waits for requests as a free keep-alive connection; closes after the idle timeout. */
    void startIdle() {
        cancelIdleTimer();
        if (config.idleTimeout().isZero() || ctx == null) {
            return;
        }
        idleTimer = ctx.executor().schedule(() -> {
            if (isFree()) {
                LOG.debug("upstream {} idle for {} ms, closing", id, config.idleTimeout().toMillis());
                close();
            }
        }, config.idleTimeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    private void cancelIdleTimer() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
    }

    // ---- writing ---------------------------------------------------------------------------

    /**
     * Sends the exchange. Returns false, with nothing sent, when this connection cannot take it
     * (the caller sends it elsewhere). An exchange whose head cannot be written as HTTP/1.1 is
     * answered {@code BAD_REQUEST} here (and true returned).
     */
    boolean write(H1Exchange ex) {
        if (!isFree()) {
            return false;
        }
        ByteBuf requestHead;
        try {
            requestHead = encodeHead(ex);
        } catch (IllegalArgumentException e) {
            ex.fail(RelayError.BAD_REQUEST, "not sendable as HTTP/1.1: " + e.getMessage());
            return true;
        }
        cancelIdleTimer();
        current = ex;
        ex.connection = this;
        reusedForCurrent = served > 0;
        writeDone = false;
        responseBytes = false;
        skippingInformational = false;
        pool.connectionBusy(this, reusedForCurrent);
        meterAtWrite = meter.bytesWritten();
        CompositeByteBuf message = ctx.alloc().compositeBuffer(2)
                .addComponents(true, requestHead, ex.request.body().retainedDuplicate());
        ChannelFuture written = ctx.writeAndFlush(message);
        if (written.isDone()) {
            writeComplete(ex, written);
        } else {
            written.addListener(f -> writeComplete(ex, (ChannelFuture) f));
        }
        return true;
    }

    private void writeComplete(H1Exchange ex, ChannelFuture f) {
        if (ex != current || ex.done) {
            return; // answered already (early answer, timeout); the close, if any, is decided
        }
        if (f.isSuccess()) {
            writeDone = true;
            return;
        }
        LOG.debug("upstream {} write failed: {}", id, f.cause().toString());
        detach();
        ended(ex, "write failed: " + describe(f.cause()));
        close();
    }

    /** The request head in origin-form (RFC 9112 3.2.1). */
    private ByteBuf encodeHead(H1Exchange ex) {
        String method = ex.request.method();
        String path = ex.request.path();
        checkToken(method, "method");
        if (path.isEmpty() || path.charAt(0) != '/') {
            throw new IllegalArgumentException("path is not in origin-form");
        }
        checkValue(path, "path");
        ByteBuf out = ctx.alloc().buffer(256 + ex.request.headers().size() * 64);
        out.writeCharSequence(method, StandardCharsets.US_ASCII);
        out.writeByte(' ');
        out.writeCharSequence(path, StandardCharsets.ISO_8859_1);
        out.writeBytes(HTTP_1_1);
        try {
            String authority = ex.route.authority();
            if (config.authority() == Http1UpstreamConfig.AuthorityHeader.HOST) {
                header(out, "Host", authority);
            } else {
                header(out, "Host", pool.via().hostHeader());
                header(out, "Forwarded", "host=\"" + authority + "\";proto=https");
            }
            for (Map.Entry<CharSequence, CharSequence> field : ex.request.headers()) {
                CharSequence name = field.getKey();
                if (name.length() == 0 || name.charAt(0) == ':') {
                    continue;
                }
                AsciiString lower = AsciiString.of(name).toLowerCase();
                if (NOT_FORWARDED.contains(lower) || FORWARDED.contentEquals(lower)
                        || (lower.length() > 6 && lower.startsWith("proxy-"))) {
                    continue;
                }
                checkToken(name, "header name");
                checkValue(field.getValue(), "value of " + name);
                header(out, name, field.getValue());
            }
            header(out, "Content-Length", Integer.toString(ex.request.body().readableBytes()));
            out.writeBytes(CRLF);
            return out;
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    private static void header(ByteBuf out, CharSequence name, CharSequence value) {
        if (name instanceof AsciiString a) {
            ByteBufUtil.copy(a, out);
        } else {
            out.writeCharSequence(name, StandardCharsets.US_ASCII);
        }
        out.writeByte(':');
        out.writeByte(' ');
        if (value instanceof AsciiString a) {
            ByteBufUtil.copy(a, out);
        } else {
            out.writeCharSequence(value, StandardCharsets.ISO_8859_1);
        }
        out.writeBytes(CRLF);
    }

    /** RFC 9110 5.6.2 token characters only: no CR, LF, space, colon, or control byte. */
    private static void checkToken(CharSequence s, String what) {
        if (s.length() == 0) {
            throw new IllegalArgumentException(what + " is empty");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= ' ' || c >= 0x7f || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0) {
                throw new IllegalArgumentException(what + " has a character not allowed in a token");
            }
        }
    }

    /** No CR, LF or NUL (RFC 9110 5.5): a field value that would split the request. */
    private static void checkValue(CharSequence s, String what) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\r' || c == '\n' || c == 0 || c > 0xff) {
                throw new IllegalArgumentException(what + " has CR, LF, NUL or a non-Latin-1 character");
            }
        }
    }

    // ---- reading ---------------------------------------------------------------------------

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            read(msg);
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void read(Object msg) {
        H1Exchange ex = current;
        if (ex == null || closing) {
            if (!closing) {
                LOG.debug("upstream {} sent {} with no request outstanding; closing", id,
                        msg.getClass().getSimpleName());
                close();
            }
            return;
        }
        if (msg instanceof HttpResponse response) {
            DecoderResult result = response.decoderResult();
            if (result.isFailure()) {
                if (result.cause() instanceof PrematureChannelClosureException) {
                    return; // closed mid-head: channelInactive answers
                }
                abort(ex, "bad answer: " + describe(result.cause()));
                return;
            }
            int code = response.status().code();
            if (code == 101) {
                abort(ex, "answered 101 Switching Protocols");
                return;
            }
            if (code < 200) {
                skippingInformational = true; // interim answer (RFC 9110 15.2): the final one follows
                return;
            }
            long length = HttpUtil.getContentLength(response, -1L);
            if (length > config.maxResponseBytes()) {
                abort(ex, "answer body of " + length + " bytes is over " + config.maxResponseBytes());
                return;
            }
            head = response;
            long expected = length < 0 ? 256 : length;
            body = ctx.alloc().buffer((int) Math.min(expected, config.maxResponseBytes()));
        }
        if (msg instanceof HttpContent content) {
            if (content.decoderResult().isFailure()) {
                abort(ex, "bad answer body: " + describe(content.decoderResult().cause()));
                return;
            }
            if (skippingInformational) {
                if (msg instanceof LastHttpContent) {
                    skippingInformational = false;
                }
                return;
            }
            if (head == null) {
                abort(ex, "answer body before its head");
                return;
            }
            ByteBuf data = content.content();
            if (data.isReadable()) {
                if (body.readableBytes() + data.readableBytes() > config.maxResponseBytes()) {
                    abort(ex, "answer body over " + config.maxResponseBytes() + " bytes");
                    return;
                }
                body.writeBytes(data);
            }
            if (msg instanceof LastHttpContent) {
                finish(ex);
            }
        }
    }

    private void finish(H1Exchange ex) {
        HttpResponse response = head;
        ByteBuf answer = body;
        head = null;
        body = null;
        // Reusable only when the upstream keeps it (RFC 9112 9.3), took the whole request, and is still there.
        boolean keepAlive = HttpUtil.isKeepAlive(response) && writeDone && ctx.channel().isActive();
        detach();
        served++;
        Http2Headers headers = new DefaultHttp2Headers(false, response.headers().size());
        HttpHeaders in = response.headers();
        for (java.util.Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> field = it.next();
            headers.add(AsciiString.of(field.getKey()).toLowerCase(), field.getValue());
        }
        HopByHopHeaders.strip(headers);
        if (in.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            headers.remove(HttpHeaderNames.CONTENT_LENGTH); // never both (RFC 9112 6.3); the body is whole now
        }
        ex.respond(new RelayResponse(response.status().code(), headers, answer, null, id));
        if (keepAlive) {
            pool.connectionFree(this);
        } else {
            close();
        }
    }

    /** Stops an answer that cannot be relayed: UPSTREAM_RESET, and the connection closes. */
    private void abort(H1Exchange ex, String why) {
        detach();
        releaseResponse();
        close();
        ex.fail(RelayError.UPSTREAM_RESET, "upstream " + id + ": " + why);
    }

    /** Gives up on {@code ex} (request timeout): the connection closes, no answer is expected any more. */
    void abandon(H1Exchange ex) {
        if (current != ex) {
            return;
        }
        detach();
        releaseResponse();
        close();
    }

    /**
     * The connection ended before a complete answer to {@code ex}: retried when not one of its
     * bytes reached the socket, else UPSTREAM_RESET.
     */
    private void ended(H1Exchange ex, String why) {
        if (meter.bytesWritten() == meterAtWrite && !responseBytes) {
            pool.notSent(ex, "upstream " + id + ": " + why + ", before any byte of the request was sent");
            return;
        }
        if (reusedForCurrent && !responseBytes) {
            pool.metrics().keepAliveRaces.increment();
            ex.fail(RelayError.UPSTREAM_RESET, "upstream " + id + ": " + why + " on a reused keep-alive connection"
                    + " (the upstream may have closed it as idle while the request was on its way; not retried:"
                    + " the request may have been read)");
            return;
        }
        ex.fail(RelayError.UPSTREAM_RESET, "upstream " + id + ": " + why);
    }

    /** Takes the current exchange off this connection (it stays answerable by the caller). */
    private void detach() {
        if (current != null) {
            current = null;
            pool.connectionNotBusy(this);
        }
    }

    private void releaseResponse() {
        head = null;
        if (body != null) {
            body.release();
            body = null;
        }
    }

    private static String describe(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : t.getClass().getSimpleName() + ": " + m;
    }
}
