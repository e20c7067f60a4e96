package io.pushrelay.core.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.pushrelay.core.transport.Transports;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP/1.1 origin server for tests of the HTTP/1.1 upstream, on Netty: TLS (optional,
 * ALPN {@code http/1.1} or none, optional required client certificate) or plain text. Answers
 * every request {@code 200} with {@code apns-id} (the request's {@code x-request-id}, echoed) and
 * a body of the configured size (empty by default), {@code Content-Length} or chunked; keeps
 * connections alive; records what it received (method, target, headers, body, connection,
 * position on the connection) and counts at the server how often each {@code x-request-id} was
 * processed, so that a test can prove nothing was delivered twice.
 *
 * <p>Faults, per connection: close a connection idle for some time (a server's keep-alive
 * timeout); close, without reading or answering, when the N-th request of a connection arrives
 * (the keep-alive race, as the client sees it); process the N-th request and drop the connection
 * without answering; {@code Connection: close} after N answers; answer late or never.
 *
 * <pre>
 * try (H1TestServer server = H1TestServer.builder().tls(cert.chain(), cert.key()).start()) {
 *     ... POST https://127.0.0.1:server.port()/3/device/... ...
 *     server.requests(); server.connections(); server.deliveries();
 * }
 * </pre>
 */
public final class H1TestServer extends TestServerBase {
    public static final String REQUEST_ID = "x-request-id";
    private static final AttributeKey<Integer> CONNECTION = AttributeKey.valueOf("h1-test-connection");

    private final Builder config;
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger closedUnread = new AtomicInteger();
    private final AtomicInteger idleClosed = new AtomicInteger();
    private final List<X509Certificate> clientCertificates = new CopyOnWriteArrayList<>();
    private volatile Channel serverChannel;

    /** One request as the server received it. */
    public record Recorded(String method, String uri, HttpHeaders headers, String body, int connection,
                           int indexOnConnection) {
        public String header(String name) {
            return headers.get(name);
        }
    }

    private H1TestServer(Builder config) {
        super("h1-test-server", config.chain, config.key, config.alpn, config.clientCa);
        this.config = config;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options and faults of an {@link H1TestServer}. */
    public static final class Builder {
        private Path chain;
        private Path key;
        private List<String> alpn = List.of("http/1.1");
        private Path clientCa;
        private Duration idleTimeout = Duration.ZERO;
        private int closeUnreadOn;
        private int dropAfterProcessing;
        private int connectionCloseAfter;
        private int bodyBytes;
        private boolean chunked;
        private Duration answerDelay = Duration.ZERO;
        private boolean neverAnswer;

        private Builder() {
        }

        /** TLS with this certificate chain and key (PEM); plain text without. */
        public Builder tls(Path chainPem, Path keyPem) {
            this.chain = chainPem;
            this.key = keyPem;
            return this;
        }

        /** The protocols ALPN may select (default {@code http/1.1}); none: no ALPN at all. */
        public Builder alpn(String... protocols) {
            this.alpn = List.of(protocols);
            return this;
        }

        /** Requires a client certificate issued by this CA (PEM). */
        public Builder requireClientCert(Path caPem) {
            this.clientCa = caPem;
            return this;
        }

        /** Closes a connection that carried no request for this long (a server's keep-alive timeout). */
        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = timeout;
            return this;
        }

        /**
         * When the N-th request of a connection arrives (N at least 2: a reused connection),
         * closes the connection without processing or answering it: what a client sees when its
         * request crosses the server's close of an idle connection.
         */
        public Builder closeUnreadOn(int n) {
            this.closeUnreadOn = n;
            return this;
        }

        /** Processes the N-th request of a connection, then drops the connection without answering. */
        public Builder dropAfterProcessing(int n) {
            this.dropAfterProcessing = n;
            return this;
        }

        /** Answers the N-th request of a connection with {@code Connection: close} and closes. */
        public Builder connectionCloseAfter(int n) {
            this.connectionCloseAfter = n;
            return this;
        }

        /** Answer bodies of this many bytes (default none). */
        public Builder bodyBytes(int n) {
            this.bodyBytes = n;
            return this;
        }

        /** Answers with {@code Transfer-Encoding: chunked} (two chunks) instead of {@code Content-Length}. */
        public Builder chunked() {
            this.chunked = true;
            return this;
        }

        public Builder answerDelay(Duration delay) {
            this.answerDelay = delay;
            return this;
        }

        /** Processes requests but never answers. */
        public Builder neverAnswer() {
            this.neverAnswer = true;
            return this;
        }

        public H1TestServer start() {
            H1TestServer server = new H1TestServer(this);
            try {
                server.bind();
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
            return server;
        }
    }

    private void bind() {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(Transports.serverChannel())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        channels.add(ch);
                        ch.attr(CONNECTION).set(connections.incrementAndGet());
                        if (sslContext != null) {
                            SslHandler tls = sslContext.newHandler(ch.alloc());
                            tls.handshakeFuture().addListener(f -> {
                                if (f.isSuccess() && config.clientCa != null) {
                                    clientCertificates.add(
                                            (X509Certificate) tls.engine().getSession().getPeerCertificates()[0]);
                                }
                            });
                            ch.pipeline().addLast(tls);
                        }
                        if (!config.idleTimeout.isZero()) {
                            ch.pipeline().addLast(new IdleStateHandler(0, 0, config.idleTimeout.toMillis(),
                                    TimeUnit.MILLISECONDS));
                        }
                        ch.pipeline().addLast(new HttpServerCodec());
                        ch.pipeline().addLast(new HttpObjectAggregator(1 << 20));
                        ch.pipeline().addLast(new RequestHandler());
                    }
                });
        serverChannel = bootstrap.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .syncUninterruptibly().channel();
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Every request received, in order (requests closed unread included, marked by a null body). */
    public List<Recorded> requests() {
        return Collections.unmodifiableList(new ArrayList<>(requests));
    }

    /** Requests the server closed its connection on without reading ({@link Builder#closeUnreadOn}). */
    public int closedUnread() {
        return closedUnread.get();
    }

    /** Connections closed for being idle ({@link Builder#idleTimeout}). */
    public int idleClosed() {
        return idleClosed.get();
    }

    /** The client certificates presented, one per connection, when they are required. */
    public List<X509Certificate> clientCertificates() {
        return List.copyOf(clientCertificates);
    }

    /**
     * Resets every open connection at once (TCP RST, below TLS: no close_notify), and waits until
     * they are closed: an upstream that crashed, as an idle client connection sees it.
     */
    public void resetAll() {
        List<ChannelFuture> closed = new ArrayList<>();
        for (Channel ch : channels) {
            if (ch.isActive()) {
                closed.add(reset(ch));
            }
        }
        for (ChannelFuture f : closed) {
            f.awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    @Override
    void closeChannels() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
        }
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private int onConnection;
        private boolean busy;

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            onConnection++;
            int connection = ctx.channel().attr(CONNECTION).get();
            if (config.closeUnreadOn > 1 && onConnection == config.closeUnreadOn) {
                closedUnread.incrementAndGet();
                requests.add(new Recorded(request.method().name(), request.uri(), request.headers().copy(), null,
                        connection, onConnection));
                ctx.close();
                return;
            }
            String body = request.content().toString(StandardCharsets.UTF_8);
            requests.add(new Recorded(request.method().name(), request.uri(), request.headers().copy(), body,
                    connection, onConnection));
            String id = request.headers().get(REQUEST_ID, "stream-" + connection + "-" + onConnection);
            delivered(id);
            if (config.dropAfterProcessing > 0 && onConnection == config.dropAfterProcessing) {
                reset(ctx.channel());
                return;
            }
            if (config.neverAnswer) {
                busy = true;
                return;
            }
            boolean close = config.connectionCloseAfter > 0 && onConnection == config.connectionCloseAfter
                    || !HttpUtil.isKeepAlive(request);
            busy = true;
            if (config.answerDelay.isZero()) {
                answer(ctx, id, close);
            } else {
                ctx.executor().schedule(() -> answer(ctx, id, close), config.answerDelay.toNanos(),
                        TimeUnit.NANOSECONDS);
            }
        }

        private void answer(ChannelHandlerContext ctx, String id, boolean close) {
            busy = false;
            if (!ctx.channel().isActive()) {
                return;
            }
            ByteBuf body = Unpooled.buffer(config.bodyBytes);
            for (int i = 0; i < config.bodyBytes; i++) {
                body.writeByte('a' + i % 26);
            }
            if (config.chunked) {
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                headers(head.headers(), id, close).set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                ctx.write(head);
                int half = body.readableBytes() / 2;
                ctx.write(new DefaultHttpContent(body.readRetainedSlice(half)));
                ctx.write(new DefaultLastHttpContent(body));
            } else {
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        body);
                headers(response.headers(), id, close).setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
                ctx.write(response);
            }
            if (close) {
                ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.flush();
            }
        }

        private HttpHeaders headers(HttpHeaders headers, String id, boolean close) {
            headers.set("apns-id", id).set(REQUEST_ID, id);
            if (close) {
                headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
            return headers;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent && !busy) {
                idleClosed.incrementAndGet();
                ctx.close();
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Resets and failed handshakes are what these tests provoke.
            ctx.close();
        }
    }
}
