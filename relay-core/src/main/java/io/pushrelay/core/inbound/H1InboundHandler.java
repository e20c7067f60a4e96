package io.pushrelay.core.inbound;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.pushrelay.core.forward.AuthorityNames;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.forward.HopByHopHeaders;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.observe.AccessLog;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 server side of a downstream connection, behind {@link H1RequestDecoder} and
 * Netty's response encoder: each request (head, then a Content-Length or chunked body,
 * aggregated up to its route's limit) becomes one {@link RelayRequest} for the
 * {@link Forwarder}; answers go back in request order (pipelining), each framed with
 * {@code Content-Length} and the standard reason phrase ({@link ReasonPhrases}).
 *
 * <p>Normalisation: {@code Host} (or the authority of an absolute-form target, which must then
 * agree with {@code Host}, RFC 9112 3.2.2) becomes the authority, header names are lower-cased,
 * hop-by-hop headers and {@code Expect} removed. An origin-form request with
 * {@code Forwarded: host=...} (RFC 7239 5.3) is for that host instead, and loses the header: what a
 * chained relay-pre sends ({@code Host} naming this relay, as a TLS-inspecting proxy between the
 * two requires); the route table decides either way, so this opens nothing.
 * {@code Expect: 100-continue} is answered {@code 100 Continue} when the request's turn
 * comes. A body announced over the limit is answered 413 before it is read; one that grows
 * over it, 413 as soon as it does; a malformed request 400. After such an answer the
 * connection reads (and discards) what the downstream still sends for a moment, then closes,
 * so that the answer is not lost to a reset.
 *
 * <p>{@code CONNECT host:port} (RFC 9110 9.3.6) goes to {@link Forwarder#tunnel}: refused, it is
 * answered and the connection closes; allowed, it is answered {@code 200} (no
 * {@code Content-Length}), in its turn among pipelined requests, and then the connection
 * becomes the tunnel ({@link TunnelTerminator}), which replaces this handler. Without a
 * {@link InboundSettings#tunnels()} (no certificates to terminate it with), 405; while the
 * listener drains, 503.
 *
 * <p>Back-pressure: the channel does not auto-read; this handler reads again only after its
 * writes went out, while the channel is writable and fewer than
 * {@link InboundSettings#maxPipelinedRequests()} requests wait for answers.
 *
 * <p>Threads: everything on the connection's event loop; answers hop there through
 * {@link ExchangeSink}. Buffers: every message read is released here; bodies are copied into
 * one buffer per request, which the {@link RelayRequest} then owns.
 */
public final class H1InboundHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(H1InboundHandler.class);
    private static final long LINGER_QUIET_MILLIS = 200;
    private static final long LINGER_MAX_MILLIS = 2000;
    /**
     * How long a connection that is idle when the drain begins stays open for one more request
     * (answered with {@code Connection: close}). A keep-alive downstream that has just had an
     * answer sends its next request within this; closing at once would race it, and a POST
     * lost to that race is not retried by the sender.
     */
    static final long DRAIN_IDLE_GRACE_MILLIS = 1000;
    private static final AsciiString HOST = AsciiString.cached("host");
    private static final AsciiString EXPECT = AsciiString.cached("expect");
    private static final AsciiString FORWARDED = AsciiString.cached("forwarded");
    private static final int INITIAL_BODY_CAPACITY = 1024;

    private final InboundSettings settings;
    private final Forwarder forwarder;
    private final ArrayDeque<H1Exchange> queue = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private Downstream downstream;
    /** The request whose body is still arriving. */
    private H1Exchange receiving;
    /** Input is no longer wanted (framing broken, or a refused body): release what comes. */
    private boolean discarding;
    /** A closing answer is queued or written: nothing new is read. */
    private boolean closing;
    private boolean draining;
    private boolean lingering;
    /** A CONNECT was read: nothing more is, until the tunnel replaces this handler or the connection closes. */
    private boolean tunnelling;
    private ScheduledFuture<?> lingerQuiet;
    private ScheduledFuture<?> lingerMax;

    public H1InboundHandler(InboundSettings settings, Forwarder forwarder) {
        this.settings = settings;
        this.forwarder = forwarder;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        downstream = ConnectionAttributes.downstream(ctx.channel());
        draining = ConnectionAttributes.draining(ctx.channel());
        if (ctx.channel().isActive()) {
            ctx.read();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        downstream = ConnectionAttributes.downstream(ctx.channel());
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (discarding) {
                return;
            }
            if (msg instanceof HttpRequest) {
                onRequest((HttpRequest) msg);
            }
            if (msg instanceof HttpContent && !discarding) {
                onContent((HttpContent) msg);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (lingering) {
            restartLingerQuiet();
            ctx.read();
        } else {
            maybeRead();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        maybeRead();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == DrainEvent.INSTANCE) {
            draining = true;
            if (queue.isEmpty() && receiving == null && !closing) {
                // Idle: the read already pending takes one more request, answered with
                // Connection: close; without one, the connection closes after the grace.
                ctx.executor().schedule(this::closeIfIdle, DRAIN_IDLE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            }
            return;
        }
        if (evt instanceof IdleStateEvent) {
            if (lingering || (queue.isEmpty() && receiving == null)) {
                settings.counters().idleClosed.increment();
                LOG.debug("{}: idle, closing", downstream);
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (receiving != null) {
            receiving.releaseBody();
            receiving = null;
        }
        for (H1Exchange exchange : queue) {
            exchange.abandon();
        }
        queue.clear();
        if (lingerQuiet != null) {
            lingerQuiet.cancel(false);
        }
        if (lingerMax != null) {
            lingerMax.cancel(false);
        }
        ctx.fireChannelInactive();
    }

    // ---- requests ----

    private void onRequest(HttpRequest head) {
        long receivedNanos = System.nanoTime();
        if (receiving != null) {
            // The decoder ends every request with a LastHttpContent; anything else is a bug.
            LOG.error("{}: request head before the previous request ended", downstream);
            refuse(receiving, RelayError.INTERNAL);
            receiving = null;
            return;
        }
        if (closing) {
            // A request after one that closes the connection (Connection: close, or refused): not served.
            discarding = true;
            return;
        }
        H1Exchange exchange = new H1Exchange(receivedNanos);
        queue.addLast(exchange);
        if (head.decoderResult().isFailure()) {
            LOG.debug("{}: malformed request: {}", downstream, head.decoderResult().cause().toString());
            refuseMalformed(exchange);
            return;
        }
        HttpVersion version = head.protocolVersion();
        if (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0) {
            refuseMalformed(exchange);
            return;
        }
        exchange.http10 = version == HttpVersion.HTTP_1_0;
        exchange.method = head.method().name();
        exchange.isHead = HttpMethod.HEAD.equals(head.method());
        List<String> hosts = head.headers().getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || (!exchange.http10 && hosts.isEmpty())) {
            // RFC 9112 3.2: exactly one Host in HTTP/1.1.
            refuseMalformed(exchange);
            return;
        }
        String host = hosts.isEmpty() ? "" : hosts.get(0).trim();
        if (!target(exchange, head.uri(), host)) {
            refuseMalformed(exchange);
            return;
        }
        exchange.headers = requestHeaders(head.headers());
        if (exchange.originForm && exchange.headers.contains(FORWARDED)) {
            ForwardedHost.Result forwarded = ForwardedHost.of(exchange.headers.getAll(FORWARDED));
            if (forwarded.malformed()) {
                refuseMalformed(exchange);
                return;
            }
            if (forwarded.host() != null) {
                // A chained relay-pre's shape: Host names this relay (what a TLS-inspecting proxy between
                // us insists on), Forwarded the authority the request is for. Consumed here.
                exchange.authority = forwarded.host();
                exchange.headers.remove(FORWARDED);
            }
        }
        exchange.keepAlive = HttpUtil.isKeepAlive(head);
        if (exchange.tunnel) {
            tunnelling = true;
            if (head.headers().contains(HttpHeaderNames.CONTENT_LENGTH)
                    || head.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)) {
                // RFC 9110 9.3.6: a CONNECT request has no content.
                refuseMalformed(exchange);
                return;
            }
            receiving = exchange;
            return;
        }
        exchange.limit = forwarder.bodyLimit(exchange.authority);
        long contentLength = HttpUtil.getContentLength(head, -1L);
        if (contentLength > exchange.limit) {
            settings.counters().bodiesTooLarge.increment();
            refuse(exchange, RelayError.BODY_TOO_LARGE);
            return;
        }
        exchange.expectedLength = contentLength;
        exchange.expectContinue = HttpUtil.is100ContinueExpected(head);
        receiving = exchange;
        if (exchange.expectContinue) {
            writeReady();
        }
    }

    /** Sets authority and path from the request target (RFC 9112 3.2); false when malformed. */
    private static boolean target(H1Exchange exchange, String uri, String host) {
        if (uri.regionMatches(true, 0, "http://", 0, 7) || uri.regionMatches(true, 0, "https://", 0, 8)) {
            int start = uri.indexOf("://") + 3;
            int end = start;
            while (end < uri.length() && uri.charAt(end) != '/' && uri.charAt(end) != '?') {
                end++;
            }
            if (end == start) {
                return false;
            }
            String authority = uri.substring(start, end);
            if (authority.indexOf('@') >= 0) {
                // RFC 9110 4.2.4: userinfo in an http(s) URI is an error.
                return false;
            }
            int defaultPort = uri.charAt(4) == ':' ? 80 : 443;
            if (!host.isEmpty() && (!AuthorityNames.hostOf(authority).equals(AuthorityNames.hostOf(host))
                    || AuthorityNames.portOf(authority, defaultPort) != AuthorityNames.portOf(host, defaultPort))) {
                // RFC 9112 3.2.2: Host must be the target's authority.
                return false;
            }
            exchange.authority = authority;
            String rest = uri.substring(end);
            exchange.path = rest.isEmpty() ? "/" : rest.charAt(0) == '?' ? "/" + rest : rest;
            return true;
        }
        if (HttpMethod.CONNECT.name().equals(exchange.method)) {
            // RFC 9112 3.2.3: authority-form, host and port, nothing else.
            exchange.authority = uri;
            exchange.path = "";
            exchange.tunnel = true;
            return isHostAndPort(uri);
        }
        if (uri.startsWith("/") || ("*".equals(uri) && HttpMethod.OPTIONS.name().equals(exchange.method))) {
            exchange.authority = host;
            exchange.path = uri;
            exchange.originForm = true;
            return true;
        }
        return false;
    }

    /** {@code host:port}, a bracketed IPv6 literal allowed, port 1-65535. */
    private static boolean isHostAndPort(String authority) {
        int colon = authority.lastIndexOf(':');
        if (colon <= 0 || colon == authority.length() - 1 || authority.indexOf('@') >= 0
                || authority.indexOf('/') >= 0) {
            return false;
        }
        String host = authority.substring(0, colon);
        if (host.startsWith("[") != host.endsWith("]") || (!host.startsWith("[") && host.indexOf(':') >= 0)) {
            return false;
        }
        return AuthorityNames.portOf(authority, -1) > 0;
    }

    private void onContent(HttpContent content) {
        H1Exchange exchange = receiving;
        if (exchange == null) {
            return;
        }
        if (content.decoderResult().isFailure()) {
            LOG.debug("{}: malformed body: {}", downstream, content.decoderResult().cause().toString());
            receiving = null;
            exchange.releaseBody();
            refuseMalformed(exchange);
            return;
        }
        ByteBuf data = content.content();
        int size = exchange.body == null ? 0 : exchange.body.readableBytes();
        if ((long) size + data.readableBytes() > exchange.limit) {
            settings.counters().bodiesTooLarge.increment();
            receiving = null;
            exchange.releaseBody();
            refuse(exchange, RelayError.BODY_TOO_LARGE);
            return;
        }
        if (data.isReadable()) {
            if (exchange.body == null) {
                int capacity = exchange.expectedLength > 0 ? (int) exchange.expectedLength
                        : Math.min(exchange.limit, Math.max(INITIAL_BODY_CAPACITY, data.readableBytes()));
                exchange.body = ctx.alloc().buffer(Math.max(capacity, data.readableBytes()));
            }
            exchange.body.writeBytes(data);
        }
        if (content instanceof LastHttpContent) {
            receiving = null;
            dispatch(exchange);
        }
    }

    private void dispatch(H1Exchange exchange) {
        settings.counters().h1Requests.increment();
        if (exchange.tunnel) {
            openTunnel(exchange);
            return;
        }
        if (!exchange.keepAlive) {
            // The downstream said this is its last request on the connection.
            closing = true;
        }
        ByteBuf body = exchange.body != null ? exchange.body : Unpooled.EMPTY_BUFFER;
        exchange.body = null;
        RelayRequest request = exchange.request(body);
        try {
            forwarder.forward(request, downstream, exchange.sink);
        } catch (RuntimeException e) {
            LOG.error("{}: forwarding failed", downstream, e);
            exchange.sink.respond(RelayResponse.of(RelayError.INTERNAL, ctx.alloc()));
        }
    }

    private void openTunnel(H1Exchange exchange) {
        RelayRequest request = exchange.request(Unpooled.EMPTY_BUFFER);
        if (settings.tunnels() == null) {
            LOG.debug("{}: CONNECT {} on a connection that cannot terminate a tunnel", downstream,
                    AccessLog.safe(exchange.authority));
            refuse(exchange, RelayError.METHOD_NOT_ALLOWED);
            return;
        }
        if (draining) {
            // A new connection inside, while everything is meant to wind down: no.
            refuse(exchange, RelayError.SHUTTING_DOWN);
            return;
        }
        try {
            forwarder.tunnel(request, downstream, exchange.sink);
        } catch (RuntimeException e) {
            LOG.error("{}: CONNECT failed", downstream, e);
            exchange.sink.respond(RelayResponse.of(RelayError.INTERNAL, ctx.alloc()));
        }
    }

    private void refuseMalformed(H1Exchange exchange) {
        settings.counters().badRequests.increment();
        exchange.method = "-";
        exchange.authority = "-";
        exchange.path = "-";
        exchange.headers = new DefaultHttp2Headers(false, 0);
        refuse(exchange, RelayError.BAD_REQUEST);
    }

    /** Answers {@code exchange} with {@code error} and closes after it; the rest of the input is unwanted. */
    private void refuse(H1Exchange exchange, RelayError error) {
        exchange.closeAfter = true;
        discarding = true;
        closing = true;
        if (exchange.tunnel) {
            discardTunnelBytes();
        }
        if (exchange.headers == null) {
            exchange.headers = new DefaultHttp2Headers(false, 0);
        }
        forwarder.refuse(exchange.request(Unpooled.EMPTY_BUFFER), error, exchange.sink);
    }

    // ---- answers ----

    /** Writes every answer that is ready, in request order; sends 100 Continue when its turn comes. */
    private void writeReady() {
        ChannelFuture last = null;
        while (!queue.isEmpty()) {
            H1Exchange head = queue.peekFirst();
            if (head.response == null) {
                if (head.expectContinue && !head.continueSent && head == receiving) {
                    head.continueSent = true;
                    last = ctx.write(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                            Unpooled.EMPTY_BUFFER));
                }
                break;
            }
            queue.pollFirst();
            if (head.tunnel && head.response.error() == null && head.response.status() == 200 && draining) {
                // The drain began between the decision and now: the tunnel is not opened after all.
                head.response.release();
                head.response = RelayResponse.of(RelayError.SHUTTING_DOWN, ctx.alloc());
            }
            if (head.tunnel && head.response.error() == null && head.response.status() == 200) {
                writeTunnelEstablished(head);
                return;
            }
            if (head.tunnel) {
                // A refused CONNECT: answered, then closed; its tunnel bytes are unwanted.
                head.closeAfter = true;
                discarding = true;
                discardTunnelBytes();
            }
            boolean close = head.closeAfter || !head.keepAlive
                    || (draining && queue.isEmpty() && receiving == null);
            last = ctx.write(response(head, close));
            if (close) {
                closing = true;
                for (H1Exchange rest : queue) {
                    rest.abandon();
                }
                queue.clear();
                boolean linger = discarding;
                last.addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess() && linger) {
                        startLinger();
                    } else {
                        ctx.close();
                    }
                });
                break;
            }
        }
        if (last != null) {
            last.addListener((ChannelFutureListener) f -> {
                if (f.isSuccess()) {
                    maybeRead();
                } else {
                    LOG.debug("{}: write failed: {}", downstream, f.cause().toString());
                    ctx.close();
                }
            });
            ctx.flush();
        }
    }

    /**
     * {@code 200} to an allowed CONNECT, without {@code Content-Length} (RFC 9110 9.3.6); once it
     * is written, the tunnel takes over the connection and this handler leaves the pipeline.
     */
    private void writeTunnelEstablished(H1Exchange exchange) {
        exchange.response.release();
        exchange.response = null;
        for (H1Exchange rest : queue) {
            // Nothing is read after a CONNECT; a bug if anything is here.
            rest.abandon();
        }
        queue.clear();
        String target = exchange.authority;
        ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, ReasonPhrases.status(200),
                Unpooled.EMPTY_BUFFER, DefaultHttpHeadersFactory.headersFactory().newEmptyHeaders(),
                EmptyHttpHeaders.INSTANCE)).addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        LOG.debug("{}: write failed: {}", downstream, f.cause().toString());
                        ctx.close();
                        return;
                    }
                    if (!ctx.isRemoved() && ctx.channel().isActive()) {
                        settings.tunnels().open(ctx, target);
                    }
                });
    }

    private void discardTunnelBytes() {
        H1RequestDecoder decoder = ctx.pipeline().get(H1RequestDecoder.class);
        if (decoder != null) {
            decoder.discardRest();
        }
    }

    private DefaultFullHttpResponse response(H1Exchange exchange, boolean close) {
        RelayResponse relayed = exchange.response;
        exchange.response = null;
        HttpResponseStatus status = ReasonPhrases.status(relayed.status());
        ByteBuf body = relayed.body();
        int code = status.code();
        boolean bodyAllowed = code >= 200 && code != 204 && code != 304;
        HttpHeaders headers;
        try {
            headers = responseHeaders(relayed, bodyAllowed ? body.readableBytes() : -1);
        } catch (IllegalArgumentException e) {
            LOG.error("{}: the answer's headers do not fit HTTP/1.1 ({}); answering 500 instead", downstream,
                    e.getMessage());
            relayed.release();
            RelayResponse internal = RelayResponse.of(RelayError.INTERNAL, ctx.alloc());
            status = ReasonPhrases.status(500);
            body = internal.body();
            bodyAllowed = true;
            headers = responseHeaders(internal, body.readableBytes());
        }
        if (!bodyAllowed || exchange.isHead) {
            // RFC 9110 9.3.2 / 15.3.5 / 15.4.5: no content; HEAD keeps the length it would have had.
            body.release();
            body = Unpooled.EMPTY_BUFFER;
        }
        if (close) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (exchange.http10) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body, headers, EmptyHttpHeaders.INSTANCE);
    }

    /** The answer's regular headers, hop-by-hop removed, with the exact Content-Length (none when -1). */
    private static HttpHeaders responseHeaders(RelayResponse response, int contentLength) {
        Http2Headers stripped = H2InboundHandler.responseHeaders(response, 0);
        HttpHeaders headers = DefaultHttpHeadersFactory.headersFactory().newHeaders();
        for (Map.Entry<CharSequence, CharSequence> header : stripped) {
            CharSequence name = header.getKey();
            if (name.length() > 0 && name.charAt(0) != ':') {
                headers.add(name, header.getValue());
            }
        }
        if (contentLength >= 0) {
            headers.setInt(HttpHeaderNames.CONTENT_LENGTH, contentLength);
        }
        return headers;
    }

    private static Http2Headers requestHeaders(HttpHeaders in) {
        Http2Headers out = new DefaultHttp2Headers(false, in.size());
        Iterator<Map.Entry<CharSequence, CharSequence>> it = in.iteratorCharSequence();
        while (it.hasNext()) {
            Map.Entry<CharSequence, CharSequence> header = it.next();
            AsciiString name = AsciiString.of(header.getKey()).toLowerCase();
            if (!HOST.equals(name) && !EXPECT.equals(name)) {
                out.add(name, header.getValue());
            }
        }
        HopByHopHeaders.strip(out);
        return out;
    }

    private void closeIfIdle() {
        if (ctx.channel().isActive() && queue.isEmpty() && receiving == null && !closing) {
            LOG.debug("{}: drained, closing", downstream);
            ctx.close();
        }
    }

    // ---- reading ----

    private void maybeRead() {
        if (!ctx.channel().isActive() || closing || discarding || lingering || tunnelling) {
            return;
        }
        if (draining && receiving == null && !queue.isEmpty()) {
            // Draining: the requests read are the last; when idle, one more may come (see DRAIN_IDLE_GRACE_MILLIS).
            return;
        }
        if (!ctx.channel().isWritable()) {
            return;
        }
        if (receiving == null && queue.size() >= settings.maxPipelinedRequests()) {
            return;
        }
        ctx.read();
    }

    /**
     * After a closing answer to a request whose body was not read: read and drop what still
     * comes until the downstream is quiet (or a bound is hit), then close. Closing with unread
     * input makes TCP send a reset, which can destroy the answer before the downstream reads it.
     */
    private void startLinger() {
        if (!ctx.channel().isActive()) {
            return;
        }
        lingering = true;
        lingerMax = ctx.executor().schedule(() -> {
            ctx.close();
        }, LINGER_MAX_MILLIS, TimeUnit.MILLISECONDS);
        restartLingerQuiet();
        ctx.read();
    }

    private void restartLingerQuiet() {
        if (lingerQuiet != null) {
            lingerQuiet.cancel(false);
        }
        lingerQuiet = ctx.executor().schedule(() -> {
            ctx.close();
        }, LINGER_QUIET_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** One request and its place in the answer order. */
    private final class H1Exchange {
        final long receivedNanos;
        final H1Sink sink = new H1Sink(this);
        String method = "-";
        String authority = "-";
        String path = "-";
        Http2Headers headers;
        boolean http10;
        boolean isHead;
        boolean keepAlive = true;
        boolean closeAfter;
        boolean expectContinue;
        boolean continueSent;
        boolean abandoned;
        /** A CONNECT: {@code authority} is its {@code host:port}. */
        boolean tunnel;
        /** The target was in origin-form: the authority came from {@code Host} (or {@code Forwarded}). */
        boolean originForm;
        int limit;
        long expectedLength = -1;
        ByteBuf body;
        RelayResponse response;

        H1Exchange(long receivedNanos) {
            this.receivedNanos = receivedNanos;
        }

        RelayRequest request(ByteBuf body) {
            return new RelayRequest(method, settings.scheme(), authority, path, headers, body, downstream.address(),
                    downstream.id(), receivedNanos);
        }

        void releaseBody() {
            if (body != null) {
                body.release();
                body = null;
            }
        }

        void abandon() {
            abandoned = true;
            releaseBody();
            if (response != null) {
                response.release();
                response = null;
            }
        }
    }

    private final class H1Sink extends ExchangeSink {
        private final H1Exchange exchange;

        H1Sink(H1Exchange exchange) {
            super(ctx.executor());
            this.exchange = exchange;
        }

        @Override
        protected void deliver(RelayResponse response) {
            if (exchange.abandoned || !ctx.channel().isActive()) {
                response.release();
                return;
            }
            exchange.response = response;
            writeReady();
        }

        @Override
        public String toString() {
            return "request " + AccessLog.safe(exchange.method) + " " + AccessLog.maskPath(exchange.path) + " of "
                    + downstream;
        }
    }
}
