package io.pushrelay.core.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.pushrelay.core.transport.Transports;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A small HTTP/2 upstream for fault tests, on Netty, with TLS and ALPN: answers every complete
 * request {@code 200} with {@code apns-id} (the request's {@code x-request-id}, echoed), and counts
 * at the server what it processed, so that a test can prove no request was delivered twice.
 * Faults, per connection: a low SETTINGS_MAX_CONCURRENT_STREAMS; a GOAWAY after N processed
 * streams (last-stream-id = the highest processed, later streams are never processed); RST_STREAM
 * REFUSED_STREAM on every k-th stream (not processed); an abrupt drop (TCP RST, no GOAWAY) when
 * the N-th stream is processed (processed, never answered); never answering; a delay before
 * answering; no ALPN; a required client certificate. {@link #stop()} and {@link #start()} again
 * on the same port simulate an upstream restart.
 */
public final class H2TestServer extends TestServerBase {
    public static final String REQUEST_ID = "x-request-id";
    private static final String QUIET = "quiet";

    private final Builder config;
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger cancelled = new AtomicInteger();
    private final AtomicInteger pings = new AtomicInteger();
    private final AtomicInteger maxConcurrentSeen = new AtomicInteger();
    private final AtomicInteger goAwaysSent = new AtomicInteger();
    private final AtomicInteger drops = new AtomicInteger();
    private final AtomicReference<Http2Headers> lastRequestHeaders = new AtomicReference<>();
    private volatile Channel serverChannel;
    private int port;

    private H2TestServer(Builder config) {
        super("h2-test-server", config.chain, config.key,
                config.alpn ? List.of(ApplicationProtocolNames.HTTP_2) : List.of(), config.clientCa);
        this.config = config;
    }

    public static Builder builder(Path chainPem, Path keyPem) {
        return new Builder(chainPem, keyPem);
    }

    /** Faults and limits of an {@link H2TestServer}. */
    public static final class Builder {
        private final Path chain;
        private final Path key;
        private int maxConcurrentStreams = 1000;
        private int raiseAfter;
        private int raisedMaxConcurrentStreams;
        private int goAwayAfter;
        private int refuseEvery;
        private int dropAfter;
        private boolean neverAnswer;
        private Duration answerDelay = Duration.ZERO;
        private boolean alpn = true;
        private Path clientCa;

        private Builder(Path chain, Path key) {
            this.chain = chain;
            this.key = key;
        }

        public Builder maxConcurrentStreams(int n) {
            this.maxConcurrentStreams = n;
            return this;
        }

        /** Sends a new SETTINGS_MAX_CONCURRENT_STREAMS once N streams were processed on a connection (as APNS does). */
        public Builder raiseMaxConcurrentStreams(int afterStreams, int newMax) {
            this.raiseAfter = afterStreams;
            this.raisedMaxConcurrentStreams = newMax;
            return this;
        }

        /** GOAWAY(NO_ERROR) once N streams were processed on a connection; closes when those are answered. */
        public Builder goAwayAfter(int n) {
            this.goAwayAfter = n;
            return this;
        }

        /** RST_STREAM REFUSED_STREAM on every k-th new stream of a connection, before processing it. */
        public Builder refuseEvery(int k) {
            this.refuseEvery = k;
            return this;
        }

        /** Drops the connection (TCP RST, no GOAWAY) when its N-th stream is processed, leaving it unanswered. */
        public Builder dropAfter(int n) {
            this.dropAfter = n;
            return this;
        }

        /** Processes requests but never answers. */
        public Builder neverAnswer() {
            this.neverAnswer = true;
            return this;
        }

        public Builder answerDelay(Duration delay) {
            this.answerDelay = delay;
            return this;
        }

        /** Without ALPN the server selects no protocol (an h2-requiring client must refuse it). */
        public Builder alpn(boolean on) {
            this.alpn = on;
            return this;
        }

        /** Requires a client certificate issued by this CA (PEM). */
        public Builder requireClientCert(Path caPem) {
            this.clientCa = caPem;
            return this;
        }

        public H2TestServer start() {
            H2TestServer server = new H2TestServer(this);
            try {
                server.start();
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
            return server;
        }
    }

    /** Binds (again, after {@link #stop()}, on the same port). */
    public synchronized void start() {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(Transports.serverChannel())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        channels.add(ch);
                        SslHandler tls = sslContext.newHandler(ch.alloc());
                        ch.pipeline().addLast(tls);
                        ch.pipeline().addLast(QUIET, new ChannelInboundHandlerAdapter() {
                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                // Failed handshakes and resets are what these tests provoke.
                                ctx.close();
                            }
                        });
                        tls.handshakeFuture().addListener(f -> {
                            if (f.isSuccess()) {
                                connections.incrementAndGet();
                                ch.pipeline().addBefore(QUIET, null, new ServerHandlerBuilder().build());
                            }
                        });
                    }
                });
        serverChannel = bootstrap.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
                .syncUninterruptibly().channel();
        port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** Unbinds and closes every connection at once (no GOAWAY). */
    public synchronized void stop() {
        if (serverChannel != null) {
            serverChannel.close().syncUninterruptibly();
            serverChannel = null;
        }
        for (Channel ch : channels) {
            ch.pipeline().firstContext().close();
        }
        channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    public int port() {
        return port;
    }

    public int refused() {
        return refused.get();
    }

    /** RST_STREAM CANCEL received. */
    public int cancelled() {
        return cancelled.get();
    }

    public int pings() {
        return pings.get();
    }

    /** The most streams ever open at once on one connection. */
    public int maxConcurrentSeen() {
        return maxConcurrentSeen.get();
    }

    public int goAwaysSent() {
        return goAwaysSent.get();
    }

    public int drops() {
        return drops.get();
    }

    public Http2Headers lastRequestHeaders() {
        return lastRequestHeaders.get();
    }

    @Override
    void closeChannels() {
        stop();
    }

    private final class ServerHandlerBuilder
            extends AbstractHttp2ConnectionHandlerBuilder<ServerHandler, ServerHandlerBuilder> {
        ServerHandlerBuilder() {
            server(true);
            initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(config.maxConcurrentStreams));
            // Refusing streams on purpose must not trip Netty's RST flood protection.
            encoderEnforceMaxRstFramesPerWindow(0, 0);
            decoderEnforceMaxRstFramesPerWindow(0, 0);
        }

        @Override
        protected ServerHandler build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                      Http2Settings initialSettings) {
            ServerHandler handler = new ServerHandler(decoder, encoder, initialSettings);
            frameListener(handler.listener);
            return handler;
        }

        @Override
        public ServerHandler build() {
            return super.build();
        }
    }

    private final class ServerHandler extends Http2ConnectionHandler {
        private final IntObjectMap<String> requestIds = new IntObjectHashMap<>();
        private int streamsSeen;
        private int processedHere;
        private int maxProcessedId;
        private boolean goingAway;
        private final Http2FrameAdapter listener = new Http2FrameAdapter() {
            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                                      boolean endOfStream) {
                streamsSeen++;
                if (config.refuseEvery > 0 && streamsSeen % config.refuseEvery == 0) {
                    refused.incrementAndGet();
                    resetStream(ctx, streamId, Http2Error.REFUSED_STREAM.code(), ctx.newPromise());
                    flush(ctx);
                    return;
                }
                lastRequestHeaders.set(headers);
                CharSequence id = headers.get(REQUEST_ID);
                requestIds.put(streamId, id == null ? "stream-" + streamId : id.toString());
                if (endOfStream) {
                    process(ctx, streamId);
                }
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                                      int streamDependency, short weight, boolean exclusive, int padding,
                                      boolean endOfStream) {
                onHeadersRead(ctx, streamId, headers, padding, endOfStream);
            }

            @Override
            public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
                                  boolean endOfStream) {
                if (endOfStream) {
                    process(ctx, streamId);
                }
                return data.readableBytes() + padding;
            }

            @Override
            public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
                if (errorCode == Http2Error.CANCEL.code()) {
                    cancelled.incrementAndGet();
                }
            }

            @Override
            public void onPingRead(ChannelHandlerContext ctx, long data) {
                pings.incrementAndGet();
            }
        };

        ServerHandler(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings) {
            super(decoder, encoder, settings);
            connection().addListener(new Http2ConnectionAdapter() {
                @Override
                public void onStreamActive(Http2Stream stream) {
                    maxConcurrentSeen.accumulateAndGet(connection().remote().numActiveStreams(), Math::max);
                }

                @Override
                public void onStreamClosed(Http2Stream stream) {
                    requestIds.remove(stream.id());
                }
            });
        }

        @Override
        protected void onConnectionError(ChannelHandlerContext ctx, boolean outbound, Throwable cause,
                                         Http2Exception http2Ex) {
            if (!outbound && goingAway && http2Ex != null && http2Ex.error() == Http2Error.PROTOCOL_ERROR
                    && String.valueOf(http2Ex.getMessage()).contains("does not exist for inbound frame DATA")) {
                // Netty's decoder ignores a stream the client opened after our GOAWAY, then calls its DATA a
                // connection error; RFC 9113 6.8 says to ignore such frames. A real upstream (nghttpd, APNS)
                // keeps the connection: so does this one.
                return;
            }
            super.onConnectionError(ctx, outbound, cause, http2Ex);
        }

        private void process(ChannelHandlerContext ctx, int streamId) {
            String id = requestIds.get(streamId);
            if (id == null || goingAway && streamId > maxProcessedId) {
                return;
            }
            delivered(id);
            processedHere++;
            maxProcessedId = Math.max(maxProcessedId, streamId);
            if (config.dropAfter > 0 && processedHere == config.dropAfter) {
                drops.incrementAndGet();
                reset(ctx.channel());
                return;
            }
            if (!config.neverAnswer) {
                if (config.answerDelay.isZero()) {
                    answer(ctx, streamId, id);
                } else {
                    ctx.executor().schedule(() -> answer(ctx, streamId, id), config.answerDelay.toNanos(),
                            TimeUnit.NANOSECONDS);
                }
            }
            if (config.raiseAfter > 0 && processedHere == config.raiseAfter) {
                encoder().writeSettings(ctx, new Http2Settings().maxConcurrentStreams(config.raisedMaxConcurrentStreams),
                        ctx.newPromise());
                flush(ctx);
            }
            if (config.goAwayAfter > 0 && processedHere == config.goAwayAfter && !goingAway) {
                goingAway = true;
                goAwaysSent.incrementAndGet();
                // Streams above maxProcessedId are closed by the codec and never processed.
                goAway(ctx, maxProcessedId, Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER, ctx.newPromise());
                flush(ctx);
                // Close only after the client had time to read the GOAWAY and stop (RFC 9113 6.8): a
                // close with its later requests unread would reset the TCP connection and lose the
                // answers and the GOAWAY on the way. The client normally closes first.
                ctx.executor().schedule(() -> ctx.close(), 500, TimeUnit.MILLISECONDS);
            }
        }

        private void answer(ChannelHandlerContext ctx, int streamId, String id) {
            Http2Stream stream = connection().stream(streamId);
            if (stream == null || !ctx.channel().isActive()) {
                return;
            }
            Http2Headers headers = new DefaultHttp2Headers().status("200").set("apns-id", id).set(REQUEST_ID, id);
            encoder().writeHeaders(ctx, streamId, headers, 0, true, ctx.newPromise());
            flush(ctx);
        }
    }
}
