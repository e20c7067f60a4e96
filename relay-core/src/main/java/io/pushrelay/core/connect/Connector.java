package io.pushrelay.core.connect;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.observe.metrics.ConnectFailure;
import io.pushrelay.core.observe.metrics.RelayMetrics;
import io.pushrelay.core.observe.metrics.RouteMetrics;
import io.pushrelay.core.observe.metrics.TlsSide;
import io.pushrelay.core.policy.Route;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens upstream connections: TCP to the route's {@code host:port} (direct) or to the proxy
 * followed by {@code CONNECT host:port} (Basic auth, TLS to the proxy optional); then, for
 * {@link #connect}, TLS to the upstream with SNI and host name verification against the route's
 * <em>authority</em> (never the connect host), TLS 1.2/1.3 only, trust = JDK default trust store
 * plus the optional {@code upstreamCa}, an optional client certificate, and the ALPN protocol of
 * {@link ConnectorConfig#protocol()} ({@code h2} unless configured otherwise). {@link #tunnel}
 * stops before the upstream TLS: a raw byte tunnel for TLS passthrough, or for a plain-text
 * upstream.
 *
 * <p>Name resolution: through a proxy the relay never resolves the route's host (the proxy does,
 * from the {@code CONNECT} line); it resolves only the proxy's name. In direct mode it resolves
 * the route's host with the configured {@link HostResolver} (the JVM's by default, which follows
 * {@code /etc/hosts}) and never connects to an address in {@link ConnectorConfig#avoid()} (the
 * relay's own listeners), failing with {@link RelayError#UPSTREAM_UNAVAILABLE} instead. Blocking
 * resolution runs on a small daemon thread pool owned here, never on an event loop.
 *
 * <p>Threading: {@link #connect} may be called from any thread; the channel is registered on the
 * given event loop and every step, and the returned future's completion, happen on that loop.
 * Thread-safe; one instance serves the whole relay. {@link #close()} releases the TLS contexts
 * and the resolver threads (channels already open are not affected).
 *
 * <p>Metrics (when built with {@link #Connector(ConnectorConfig, RelayMetrics)}), per route
 * (its authority): every attempt in {@code push_relay_upstream_connect_attempts_total}, every
 * failed one in {@code push_relay_upstream_connect_failures_total{reason}}, a refused or
 * unanswered {@code CONNECT} also in {@code push_relay_proxy_connect_failures_total{status}}, a
 * failed TLS handshake (upstream's or the proxy's) in
 * {@code push_relay_tls_handshake_failures_total{side="upstream"}}, and every byte of the
 * connection by its {@link UpstreamPipeline#TRAFFIC} handler. Nothing is looked up per request:
 * the route's handle once per attempt.
 */
public final class Connector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Connector.class);

    private final ConnectorConfig config;
    private final SslContext upstreamTls;
    private final SslContext proxyTls;
    private final ExecutorService resolverThreads;
    private final RelayMetrics metrics;

    /**
     * Builds the TLS contexts once; records no metrics.
     *
     * @throws IllegalArgumentException when a CA file cannot be read or TLS cannot be set up
     */
    public Connector(ConnectorConfig config) {
        this(config, null);
    }

    /**
     * Builds the TLS contexts once; records the connections it opens in {@code metrics} (null: none).
     *
     * @throws IllegalArgumentException when a CA file cannot be read or TLS cannot be set up
     */
    public Connector(ConnectorConfig config, RelayMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.upstreamTls = TlsContexts.upstream(config.upstreamCa(), config.clientCert(), config.protocol());
        this.proxyTls = config.proxy().filter(ProxyConfig::tls)
                .map(p -> TlsContexts.proxy(p.proxyCa())).orElse(null);
        ThreadPoolExecutor pool = new ThreadPoolExecutor(4, 4, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory("upstream-resolver", true));
        pool.allowCoreThreadTimeOut(true);
        this.resolverThreads = pool;
    }

    public ConnectorConfig config() {
        return config;
    }

    /**
     * The metrics this connector records in, or null: the upstream pools that use it record
     * their retries and late connect failures there too.
     */
    public RelayMetrics metrics() {
        return metrics;
    }

    /** {@code direct} or {@code connect, basic, proxy:3128}: for logs. */
    public String describe() {
        return config.proxy().map(p -> "connect, " + p.authScheme() + ", " + p.address()).orElse("direct");
    }

    /** Whether channels can be opened on {@code loop} (an epoll or NIO event loop). */
    public boolean supports(EventLoop loop) {
        return channelClassFor(loop) != null;
    }

    /**
     * Opens a connection for {@code route} on {@code loop}. When the upstream's handshake is done
     * and it selected the configured protocol by ALPN ({@code h2} by default; for
     * {@link UpstreamProtocol#HTTP_1_1}, {@code http/1.1} or nothing), {@code application} is
     * added to the pipeline (before any application byte is read; a {@link ChannelInitializer} is
     * the usual choice) and the future succeeds with the channel, {@code AUTO_READ} on. Otherwise
     * the future fails with a {@link ConnectorException} and the channel is closed. Cancelling the
     * future aborts the attempt.
     */
    public Future<Channel> connect(EventLoop loop, Route route, ChannelHandler application) {
        return start(loop, route, Objects.requireNonNull(application, "application"), false);
    }

    /**
     * Opens a raw byte tunnel to {@code route}'s {@code host:port}: TCP directly (same resolver
     * and {@link ConnectorConfig#avoid() avoid} guard as {@link #connect}), or through the proxy
     * with {@code CONNECT host:port} (same Basic auth, proxy TLS, timeouts, error mapping and
     * messages). No upstream TLS: the route's authority plays no part. The future succeeds, on
     * {@code loop}, once the tunnel is usable, with {@code AUTO_READ} off and nothing of ours in
     * the pipeline: no {@code CONNECT} handler, no watcher. (Through an {@code https://} proxy the
     * {@link UpstreamPipeline#PROXY_TLS} handler stays: it is the tunnel's transport.) Otherwise it
     * fails with a {@link ConnectorException} and the channel is closed; cancelling it aborts.
     *
     * <p><b>Bytes that came with the proxy's answer.</b> A proxy may pass on tunnel bytes in the
     * same read as its {@code 2xx} head (only if the upstream speaks first: a TLS server never
     * does, but the bytes must not be lost if it happens). They were read already, before the
     * caller could add a handler, so they are held: in that case only, the pipeline keeps one
     * handler, {@link UpstreamPipeline#TUNNEL_HANDOVER}, in front of whatever the caller adds.
     * The caller's first {@code read()} (with {@code AUTO_READ} off, nothing arrives without one)
     * delivers them through the pipeline as {@code channelRead}s plus {@code channelReadComplete}
     * to the handlers added after it, and the handover handler removes itself; a close delivers
     * them first too. So: add your handlers with {@code addLast}, from any thread, then
     * {@code read()}. Callers that can name their handler up front use
     * {@link #tunnel(EventLoop, Route, ChannelHandler)}, which never needs the handover handler.
     */
    public Future<Channel> tunnel(EventLoop loop, Route route) {
        return start(loop, route, null, true);
    }

    /**
     * As {@link #tunnel(EventLoop, Route)}, but {@code application} is added at the end of the
     * pipeline as soon as the tunnel is usable: for a proxy, before the {@code CONNECT} handler
     * removes itself, so that bytes that came with the proxy's {@code 2xx} head are its first
     * {@code channelRead}s; then, once the {@code CONNECT} handler is gone, the future succeeds.
     * {@code application} is added to an active channel: it sees {@code handlerAdded}, not
     * {@code channelActive}. {@code AUTO_READ} is off: it calls {@code read()} when it wants bytes.
     * Should the tunnel close in between, the future fails and {@code application} sees the close.
     */
    public Future<Channel> tunnel(EventLoop loop, Route route, ChannelHandler application) {
        return start(loop, route, Objects.requireNonNull(application, "application"), true);
    }

    private Future<Channel> start(EventLoop loop, Route route, ChannelHandler application, boolean raw) {
        Promise<Channel> promise = loop.newPromise();
        Class<? extends SocketChannel> channelClass = channelClassFor(loop);
        if (channelClass == null) {
            promise.setFailure(new IllegalArgumentException("not an epoll or NIO event loop: " + loop));
            return promise;
        }
        Attempt attempt = new Attempt(loop, channelClass, route, application, raw, promise);
        if (loop.inEventLoop()) {
            attempt.start();
        } else {
            loop.execute(attempt::start);
        }
        return promise;
    }

    @Override
    public void close() {
        resolverThreads.shutdownNow();
        ReferenceCountUtil.release(upstreamTls);
        if (proxyTls != null) {
            ReferenceCountUtil.release(proxyTls);
        }
    }

    static Class<? extends SocketChannel> channelClassFor(EventLoop loop) {
        if (loop instanceof IoEventLoop io) {
            if (io.isIoType(EpollIoHandler.class)) {
                return EpollSocketChannel.class;
            }
            if (io.isIoType(NioIoHandler.class)) {
                return NioSocketChannel.class;
            }
        }
        return null;
    }

    /**
     * Where an attempt stands: waiting for the proxy's {@code CONNECT} answer, for the direct TCP
     * connection of a raw tunnel, for the upstream TLS handshake, or handing a raw tunnel over.
     */
    private enum Phase { PROXY, TCP, TLS, HANDOVER }

    /**
     * One connection attempt, for {@link #connect} (upstream TLS, then {@code application}) or for
     * a raw {@link #tunnel} ({@code application} may be null); confined to its event loop once
     * started.
     */
    private final class Attempt {
        private final EventLoop loop;
        private final Class<? extends SocketChannel> channelClass;
        private final Route route;
        private final ChannelHandler application;
        private final boolean raw;
        private final Promise<Channel> promise;
        private final Optional<ProxyConfig> proxy = config.proxy();
        private final String target;
        private final String ends;
        private final int firstPort;
        /** The route's metrics, or null. */
        private final RouteMetrics routeMetrics;
        private Channel channel;

        Attempt(EventLoop loop, Class<? extends SocketChannel> channelClass, Route route, ChannelHandler application,
                boolean raw, Promise<Channel> promise) {
            this.loop = loop;
            this.channelClass = channelClass;
            this.route = route;
            this.application = application;
            this.raw = raw;
            this.promise = promise;
            String host = route.host().indexOf(':') >= 0 ? "[" + route.host() + "]" : route.host();
            this.target = host + ":" + route.port();
            this.ends = proxy.map(p -> "connect, " + p.authScheme() + ", " + p.address() + " => " + target)
                    .orElse("direct => " + target);
            this.firstPort = proxy.map(ProxyConfig::port).orElse(route.port());
            this.routeMetrics = metrics == null ? null : metrics.route(route.authority());
        }

        void start() {
            promise.addListener(f -> {
                if (f.isCancelled() && channel != null) {
                    channel.close();
                }
            });
            if (promise.isDone()) {
                return;
            }
            if (routeMetrics != null) {
                routeMetrics.connectAttempted();
            }
            String host = proxy.map(ProxyConfig::host).orElse(route.host());
            resolve(host, addresses -> connectTo(addresses, 0));
        }

        private void resolve(String host, Consumer<List<InetAddress>> next) {
            byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
            if (literal != null && config.avoid().isEmpty()) {
                try {
                    next.accept(List.of(InetAddress.getByAddress(host, literal)));
                } catch (UnknownHostException e) {
                    fail(unresolved(host, e), ConnectFailure.DNS);
                }
                return;
            }
            try {
                resolverThreads.execute(() -> {
                    List<InetAddress> addresses;
                    ConnectorException failure = null;
                    try {
                        addresses = literal != null ? List.of(InetAddress.getByAddress(host, literal))
                                : config.resolver().resolve(host);
                        if (addresses.isEmpty()) {
                            throw new UnknownHostException(host + ": no address");
                        }
                        if (proxy.isEmpty()) {
                            addresses = notAvoided(addresses);
                            if (addresses.isEmpty()) {
                                failure = new ConnectorException(RelayError.UPSTREAM_UNAVAILABLE, ends
                                        + ", resolves only to the relay's own listener " + config.avoid()
                                        + "; give direct mode a resolver with the real address");
                            }
                        }
                    } catch (UnknownHostException | RuntimeException e) {
                        addresses = List.of();
                        failure = unresolved(host, e);
                    }
                    List<InetAddress> resolved = addresses;
                    ConnectorException error = failure;
                    loop.execute(() -> {
                        if (error != null) {
                            fail(error, error.getCause() != null ? ConnectFailure.DNS : ConnectFailure.OTHER);
                        } else {
                            next.accept(resolved);
                        }
                    });
                });
            } catch (RejectedExecutionException e) {
                fail(new ConnectorException(proxy.isPresent() ? RelayError.PROXY_UNAVAILABLE
                        : RelayError.UPSTREAM_UNAVAILABLE, ends + ", connector closed"), ConnectFailure.OTHER);
            }
        }

        private List<InetAddress> notAvoided(List<InetAddress> addresses) {
            List<InetAddress> out = new ArrayList<>(addresses.size());
            for (InetAddress a : addresses) {
                if (!avoided(a, route.port())) {
                    out.add(a);
                }
            }
            return out;
        }

        private void connectTo(List<InetAddress> addresses, int index) {
            if (promise.isDone()) {
                return;
            }
            InetSocketAddress remote = new InetSocketAddress(addresses.get(index), firstPort);
            Bootstrap bootstrap = new Bootstrap()
                    .group(loop)
                    .channel(channelClass)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) config.connectTimeout().toMillis())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, true)
                    // A direct raw tunnel reads nothing itself: off before the first read.
                    .option(ChannelOption.AUTO_READ, !(raw && proxy.isEmpty()))
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            initPipeline(ch);
                        }
                    });
            ChannelFuture connected = bootstrap.connect(remote);
            channel = connected.channel();
            connected.addListener(f -> {
                if (f.isSuccess() || promise.isDone()) {
                    return;
                }
                if (proxy.isEmpty() && index + 1 < addresses.size()) {
                    LOG.debug("{} [{}]: {}; trying the next address", ends, remote.getAddress().getHostAddress(),
                            describe(f.cause()));
                    connectTo(addresses, index + 1);
                    return;
                }
                fail(proxy.isPresent()
                        ? new ConnectorException(RelayError.PROXY_UNAVAILABLE,
                                ends + ", proxy unreachable: " + describe(f.cause()), f.cause())
                        : new ConnectorException(RelayError.UPSTREAM_UNAVAILABLE,
                                ends + " [" + remote.getAddress().getHostAddress() + "], " + describe(f.cause()),
                                f.cause()),
                        f.cause() instanceof ConnectTimeoutException ? ConnectFailure.TIMEOUT : ConnectFailure.REFUSED);
            });
        }

        private void initPipeline(Channel ch) {
            ChannelPipeline p = ch.pipeline();
            if (routeMetrics != null) {
                p.addLast(UpstreamPipeline.TRAFFIC, routeMetrics.upstreamTrafficHandler());
            }
            if (proxy.isPresent()) {
                ProxyConfig proxyConfig = proxy.get();
                if (proxyTls != null) {
                    SslHandler tls = proxyTls.newHandler(ch.alloc(), proxyConfig.host(), proxyConfig.port());
                    tls.setHandshakeTimeoutMillis(config.handshakeTimeout().toMillis());
                    p.addLast(UpstreamPipeline.PROXY_TLS, tls);
                }
                p.addLast(UpstreamPipeline.PROXY_CONNECT, new HttpConnectHandler(target,
                        proxyConfig.authorization().orElse(null), ends, config.connectTimeout().toMillis()));
                p.addLast(UpstreamPipeline.CONNECT_WATCH, new Watch(Phase.PROXY));
            } else if (raw) {
                p.addLast(UpstreamPipeline.CONNECT_WATCH, new Watch(Phase.TCP));
            } else {
                p.addLast(UpstreamPipeline.UPSTREAM_TLS, newUpstreamTls(ch));
                p.addLast(UpstreamPipeline.CONNECT_WATCH, new Watch(Phase.TLS));
            }
        }

        /**
         * The raw tunnel is usable: hand it over. An application handler goes in at once, so that
         * a {@code CONNECT} handler that is removing itself passes its remaining bytes to it;
         * without one, the watcher holds whatever is read until then. The future succeeds in a
         * task, which runs once the read in progress is over: by then the {@code CONNECT} handler
         * is gone and its leftover, with whatever else that read brought (a TLS proxy decodes
         * several records at once), has reached the application or the watcher. The watcher then
         * leaves, or gives way to a {@link TunnelHandover} if it holds bytes.
         */
        private void tunnelReady(ChannelHandlerContext ctx, Watch watch) {
            Channel ch = ctx.channel();
            ch.config().setAutoRead(false);
            watch.phase = Phase.HANDOVER;
            if (application != null) {
                ctx.pipeline().addAfter(ctx.name(), null, application);
            }
            loop.execute(() -> {
                if (watch.phase != Phase.HANDOVER || promise.isDone()) {
                    return; // failed or cancelled meanwhile: fail() closed the channel
                }
                if (!ch.isActive()) {
                    fail(closedEarly(), ConnectFailure.CLOSED);
                    return;
                }
                if (watch.held.isEmpty()) {
                    ctx.pipeline().remove(watch);
                } else {
                    List<Object> held = new ArrayList<>(watch.held);
                    watch.held.clear();
                    ctx.pipeline().replace(watch, UpstreamPipeline.TUNNEL_HANDOVER, new TunnelHandover(held));
                }
                if (!promise.trySuccess(ch)) {
                    ch.close();
                }
            });
        }

        private SslHandler newUpstreamTls(Channel ch) {
            // SNI and the certificate check use the authority, whatever host we connect to.
            SslHandler tls = upstreamTls.newHandler(ch.alloc(), route.authority(), route.port());
            tls.setHandshakeTimeoutMillis(config.handshakeTimeout().toMillis());
            return tls;
        }

        private ConnectorException unresolved(String host, Exception e) {
            String what = e.getMessage() == null || e.getMessage().equals(host) ? "unknown host" : e.getMessage();
            if (what.startsWith(host + ": ")) {
                what = what.substring(host.length() + 2);
            }
            return proxy.isPresent()
                    ? new ConnectorException(RelayError.PROXY_UNAVAILABLE,
                            ends + ", cannot resolve proxy " + host + ": " + what, e)
                    : new ConnectorException(RelayError.UPSTREAM_UNAVAILABLE,
                            ends + ", cannot resolve " + host + ": " + what, e);
        }

        /** A raw tunnel that closed before it could be handed over. */
        private ConnectorException closedEarly() {
            return new ConnectorException(RelayError.UPSTREAM_UNAVAILABLE, ends + (proxy.isPresent()
                    ? ", tunnel closed right after the proxy's answer" : ", connection closed right after it opened"));
        }

        private ConnectorException tlsFailure(Throwable cause) {
            return new ConnectorException(RelayError.UPSTREAM_TLS_FAILED,
                    "tls, " + route.authority() + " (" + ends + "): " + describeTls(cause), cause);
        }

        /**
         * Fails the attempt with {@code e} (once) and closes its channel.
         *
         * @param reason the {@code reason} label of the route's connect failure
         */
        private void fail(ConnectorException e, ConnectFailure reason) {
            if (!promise.isDone()) {
                // Counted first: whoever the failure wakes up sees it in the metrics.
                if (routeMetrics != null) {
                    count(e, reason);
                }
                if (promise.tryFailure(e)) {
                    LOG.debug("{}", e.getMessage(), e);
                }
            }
            if (channel != null) {
                channel.close();
            }
        }

        /** A failed TLS handshake (the upstream's or the proxy's): reason {@code tls} or {@code timeout}, counted as such. */
        private void failTls(ConnectorException e, Throwable cause) {
            if (routeMetrics != null && !promise.isDone()) {
                metrics.tlsHandshakeFailed(TlsSide.UPSTREAM);
            }
            fail(e, isTimeout(cause) ? ConnectFailure.TIMEOUT : ConnectFailure.TLS);
        }

        private void count(ConnectorException e, ConnectFailure reason) {
            int status = e.proxyStatus();
            if (status != 0) {
                routeMetrics.connectFailed(ConnectFailure.PROXY_REFUSED);
                metrics.proxyConnectFailed(status);
                return;
            }
            routeMetrics.connectFailed(reason);
            if (e.error() == RelayError.PROXY_UNAVAILABLE && proxy.isPresent()) {
                metrics.proxyConnectFailed(0);
            }
        }

        /** Until the upstream is usable: maps every failure to a {@link ConnectorException}. */
        private final class Watch extends ChannelInboundHandlerAdapter {
            private Phase phase;
            /** Raw tunnel bytes read during the handover, in order; passed on or released. */
            private final List<Object> held = new ArrayList<>(1);

            Watch(Phase phase) {
                this.phase = phase;
            }

            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                ctx.fireChannelActive();
                if (phase == Phase.TCP) {
                    tunnelReady(ctx, this);
                }
            }

            @Override
            public void handlerRemoved(ChannelHandlerContext ctx) {
                releaseHeld();
            }

            private void releaseHeld() {
                for (Object msg : held) {
                    ReferenceCountUtil.release(msg);
                }
                held.clear();
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt == HttpConnectHandler.TUNNEL_ESTABLISHED) {
                    if (raw) {
                        tunnelReady(ctx, this);
                        return;
                    }
                    phase = Phase.TLS;
                    ctx.pipeline().addBefore(ctx.name(), UpstreamPipeline.UPSTREAM_TLS, newUpstreamTls(ctx.channel()));
                    return;
                }
                if (evt instanceof SslHandshakeCompletionEvent done) {
                    if (phase == Phase.PROXY) {
                        if (!done.isSuccess()) {
                            failTls(new ConnectorException(RelayError.PROXY_UNAVAILABLE,
                                    ends + ", proxy TLS handshake failed: " + describeTls(done.cause()), done.cause()),
                                    done.cause());
                        }
                        return;
                    }
                    if (!done.isSuccess()) {
                        failTls(tlsFailure(done.cause()), done.cause());
                        return;
                    }
                    SslHandler tls = (SslHandler) ctx.pipeline().get(UpstreamPipeline.UPSTREAM_TLS);
                    String protocol = tls.applicationProtocol();
                    UpstreamProtocol wanted = config.protocol();
                    if (!wanted.accepts(protocol)) {
                        fail(new ConnectorException(RelayError.UPSTREAM_TLS_FAILED, "tls, " + route.authority()
                                + " (" + ends + "): upstream did not select " + wanted.alpnId()
                                + " by ALPN (selected: " + (protocol == null ? "none" : protocol) + ")"),
                                ConnectFailure.TLS);
                        return;
                    }
                    ctx.pipeline().addAfter(ctx.name(), null, application);
                    ctx.pipeline().remove(this);
                    if (!promise.trySuccess(ctx.channel())) {
                        ctx.channel().close();
                    }
                    return;
                }
                ctx.fireUserEventTriggered(evt);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                if (cause instanceof ConnectorException e) {
                    // From the CONNECT handler: a refusal (its status is counted), no answer in time, or a hang-up.
                    fail(e, isTimeout(e.getCause()) ? ConnectFailure.TIMEOUT : ConnectFailure.CLOSED);
                } else if (phase == Phase.HANDOVER) {
                    ConnectorException early = closedEarly();
                    fail(new ConnectorException(early.error(), early.getMessage() + ": " + describe(cause), cause),
                            ConnectFailure.CLOSED);
                } else if (phase == Phase.PROXY) {
                    ConnectorException e = new ConnectorException(RelayError.PROXY_UNAVAILABLE,
                            ends + ", " + describeTls(cause), cause);
                    if (isTls(cause)) {
                        failTls(e, cause);
                    } else {
                        fail(e, ConnectFailure.CLOSED);
                    }
                } else {
                    failTls(tlsFailure(cause), cause);
                }
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                releaseHeld();
                if (phase == Phase.TLS) {
                    failTls(new ConnectorException(RelayError.UPSTREAM_TLS_FAILED, "tls, " + route.authority()
                            + " (" + ends + "): connection closed during the TLS handshake"), null);
                } else {
                    fail(phase == Phase.PROXY ? new ConnectorException(RelayError.PROXY_UNAVAILABLE,
                            ends + ", proxy closed the connection") : closedEarly(), ConnectFailure.CLOSED);
                }
                ctx.fireChannelInactive();
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (phase == Phase.HANDOVER) {
                    if (application != null) {
                        ctx.fireChannelRead(msg); // the application is next: the tunnel's first bytes are its
                    } else {
                        held.add(msg); // the tunnel's first bytes: kept for the caller
                    }
                    return;
                }
                // Nothing is read before the handshake completes; never pass it on.
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void channelReadComplete(ChannelHandlerContext ctx) {
                if (phase == Phase.HANDOVER && application != null) {
                    ctx.fireChannelReadComplete();
                }
                // Otherwise swallowed like the reads it completes.
            }
        }
    }

    private static boolean isTimeout(Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        return c instanceof SslHandshakeTimeoutException || c instanceof ConnectTimeoutException;
    }

    private static boolean isTls(Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        return c instanceof SSLException;
    }

    /** Whether {@code address:port} is one of the relay's own listeners. */
    private boolean avoided(InetAddress address, int port) {
        for (InetSocketAddress own : config.avoid()) {
            if (own.getPort() != port) {
                continue;
            }
            InetAddress ownAddress = own.getAddress();
            if (ownAddress == null) {
                continue;
            }
            if (ownAddress.equals(address)) {
                return true;
            }
            if (ownAddress.isAnyLocalAddress() && isLocal(address)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isLocal(InetAddress address) {
        if (address.isLoopbackAddress() || address.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    private static String describe(Throwable t) {
        if (t instanceof ConnectTimeoutException) {
            return "connect timed out (" + t.getMessage() + ")";
        }
        String m = t.getMessage();
        if (m == null) {
            return t.getClass().getSimpleName();
        }
        if (t instanceof java.net.ConnectException) {
            // Native transports say "finishConnect(..) failed with error(-111): Connection refused: addr".
            for (String known : List.of("Connection refused", "No route to host", "Network is unreachable",
                    "Connection timed out", "Connection reset by peer")) {
                if (m.contains(known)) {
                    return known.toLowerCase(java.util.Locale.ROOT);
                }
            }
        }
        return m;
    }

    /** The handshake failure in words: the outer message and, when different, the root cause's. */
    static String describeTls(Throwable t) {
        Throwable outer = t instanceof DecoderException && t.getCause() != null ? t.getCause() : t;
        if (outer instanceof SslHandshakeTimeoutException) {
            return "TLS handshake timed out (" + outer.getMessage() + ")";
        }
        Throwable root = outer;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = outer.getMessage() == null ? outer.getClass().getSimpleName() : outer.getMessage();
        if (root != outer && root.getMessage() != null && !message.contains(root.getMessage())) {
            message = message + ": " + root.getMessage();
        }
        if (!(outer instanceof SSLException) && !message.toLowerCase(java.util.Locale.ROOT).contains("tls")
                && !message.toLowerCase(java.util.Locale.ROOT).contains("ssl")) {
            return outer.getClass().getSimpleName() + ": " + message;
        }
        return message;
    }
}
