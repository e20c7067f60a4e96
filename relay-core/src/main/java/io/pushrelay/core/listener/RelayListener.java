package io.pushrelay.core.listener;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.Mapping;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.inbound.ConnectionAttributes;
import io.pushrelay.core.inbound.DrainEvent;
import io.pushrelay.core.inbound.H2InboundHandler;
import io.pushrelay.core.inbound.InboundSettings;
import io.pushrelay.core.observe.metrics.ListenerMetrics;
import io.pushrelay.core.transport.Transports;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bound listener: accepts downstream connections on its address, terminates TLS (or not,
 * for a plaintext listener), and hands every request to its {@link Forwarder}.
 *
 * <pre>
 * EventLoopGroup boss = Transports.newGroup("relay-boss", 1);
 * EventLoopGroup workers = Transports.newGroup("relay-io", 0);
 * Forwarder forwarder = new Forwarder(new Policy(RouteTable.defaults(false)), upstream);
 * RelayListener listener = RelayListener.bind(
 *         ListenerConfig.tls("apns", new InetSocketAddress(443), TlsConfig.of(chain, key)), boss, workers, forwarder);
 * ...
 * listener.reloadTls(TlsConfig.of(newChain, newKey));      // SIGHUP: new handshakes only
 * listener.drain().get(30, TimeUnit.SECONDS);              // stop accepting, finish, GOAWAY/close
 * listener.close();                                        // whatever is left, now
 * </pre>
 *
 * <p>Connections run on the {@code workers} event loops, each confined to one. The listener's
 * own methods are callable from any thread except those event loops ({@link #bind},
 * {@link #drain} and {@link #close} wait for sockets to bind or close). The caller owns the
 * event loop groups and shuts them down after {@link #close}.
 */
public final class RelayListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RelayListener.class);
    private static final long REFUSAL_WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final ListenerConfig config;
    private final ListenerCounters counters;
    /** Prometheus metrics of this listener, or null. */
    private final ListenerMetrics metrics;
    private final SniCertificates certificates;
    /** The same certificates without client authentication, for the TLS inside CONNECT tunnels. */
    private final SniCertificates tunnelCertificates;
    private final ConnectionGate gate;
    private final Set<Channel> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong lastRefusalWarning = new AtomicLong(System.nanoTime() - REFUSAL_WARN_INTERVAL_NANOS);
    private final CompletableFuture<Void> drained = new CompletableFuture<>();
    private volatile boolean draining;
    private volatile boolean drainRequested;
    private Channel server;

    private RelayListener(ListenerConfig config, ConnectionGate gate, ListenerMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.counters = new ListenerCounters(metrics);
        this.gate = Objects.requireNonNull(gate, "gate");
        this.certificates = config.isTls() ? new SniCertificates(config.tls()) : null;
        this.tunnelCertificates = config.isTls() ? new SniCertificates(withoutClientCa(config.tls())) : null;
    }

    private static TlsConfig withoutClientCa(TlsConfig tls) {
        return new TlsConfig(tls.defaultCertificate(), tls.sniCertificates(), null);
    }

    /**
     * Builds the listener's TLS contexts and binds; returns once bound.
     *
     * @throws IllegalArgumentException when a certificate or key cannot be loaded
     * @throws IllegalStateException    when the address cannot be bound
     */
    public static RelayListener bind(ListenerConfig config, EventLoopGroup boss, EventLoopGroup workers,
                                     Forwarder forwarder) {
        return bind(config, boss, workers, forwarder, ConnectionGate.OPEN);
    }

    /**
     * {@link #bind(ListenerConfig, EventLoopGroup, EventLoopGroup, Forwarder)} with a gate that
     * decides on every accepted connection before anything is read from it.
     */
    public static RelayListener bind(ListenerConfig config, EventLoopGroup boss, EventLoopGroup workers,
                                     Forwarder forwarder, ConnectionGate gate) {
        return bind(config, boss, workers, forwarder, gate, null);
    }

    /**
     * {@link #bind(ListenerConfig, EventLoopGroup, EventLoopGroup, Forwarder, ConnectionGate)}
     * that records in {@code metrics} (null: nowhere): connections accepted, refused at the
     * limit and open; bytes read and written on the wire (counted by the {@link PipelineNames#IDLE}
     * handler, so the pipeline keeps its names); TLS handshakes that failed (not TLS, timed out,
     * refused; a downstream hanging up mid-handshake is not counted).
     */
    public static RelayListener bind(ListenerConfig config, EventLoopGroup boss, EventLoopGroup workers,
                                     Forwarder forwarder, ConnectionGate gate, ListenerMetrics metrics) {
        Objects.requireNonNull(forwarder, "forwarder");
        RelayListener listener = new RelayListener(config, gate, metrics);
        InboundSettings plain = new InboundSettings(config.isTls() ? "https" : "http",
                config.maxConcurrentStreams(), config.maxPipelinedRequests(), listener.counters.inbound());
        // CONNECT tunnels need certificates to terminate them with: TLS listeners only.
        InboundSettings settings = config.isTls()
                ? new InboundSettings(plain.scheme(), plain.maxConcurrentStreams(), plain.maxPipelinedRequests(),
                        plain.counters(), new TunnelSwitch(listener, listener.tunnelCertificates, plain, forwarder))
                : plain;
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(Transports.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(config.isTls()
                        ? new TlsListenerInitializer(listener, listener.certificates, settings, forwarder)
                        : new PlaintextListenerInitializer(listener, settings, forwarder));
        ChannelFuture bound = bootstrap.bind(config.address()).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            throw new IllegalStateException("listener " + config.name() + ": cannot bind "
                    + Downstream.format(config.address()) + ": " + bound.cause().getMessage(), bound.cause());
        }
        listener.server = bound.channel();
        LOG.info("listener {}: bound {} ({}), {}", config.name(), Downstream.format(listener.localAddress()),
                config.isTls() ? "TLS, h2 and http/1.1" : "plaintext HTTP/1.1", Transports.describe());
        return listener;
    }

    public ListenerConfig config() {
        return config;
    }

    public ListenerCounters counters() {
        return counters;
    }

    /** The bound address (the real port when the configuration said 0). */
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) server.localAddress();
    }

    /** The open downstream connections (a live view; for diagnostics and tests). */
    public Collection<Channel> connections() {
        return Collections.unmodifiableSet(connections);
    }

    /**
     * Replaces the certificates (and client CA) for handshakes that start from now on;
     * connections already open keep theirs. Builds everything first: on failure nothing changes.
     *
     * @throws IllegalArgumentException when a certificate or key cannot be loaded
     * @throws IllegalStateException    on a plaintext listener
     */
    public void reloadTls(TlsConfig tls) {
        if (certificates == null) {
            throw new IllegalStateException("listener " + config.name() + " is plaintext: no TLS to reload");
        }
        // Both built before either is installed: on failure nothing changes.
        Mapping<String, SslContext> terminating = SniCertificates.build(tls);
        Mapping<String, SslContext> tunnels = SniCertificates.build(withoutClientCa(tls));
        certificates.install(terminating);
        tunnelCertificates.install(tunnels);
        LOG.info("listener {}: certificates reloaded ({} SNI names)", config.name(), tls.sniCertificates().size());
    }

    /**
     * Stops accepting, and lets every connection finish: HTTP/2 connections send GOAWAY and
     * close once no stream is in flight; HTTP/1.1 connections answer what they read with
     * {@code Connection: close} and close. Completes when the last connection has closed.
     * Idempotent; pair with a deadline and {@link #close()}.
     */
    public CompletableFuture<Void> drain() {
        if (!drainRequested) {
            drainRequested = true;
            draining = true;
            LOG.info("listener {}: draining {} connection(s)", config.name(), connections.size());
            server.close().awaitUninterruptibly();
            for (Channel ch : connections) {
                ch.eventLoop().execute(() -> {
                    ch.attr(ConnectionAttributes.DRAINING).set(Boolean.TRUE);
                    ch.pipeline().fireUserEventTriggered(DrainEvent.INSTANCE);
                });
            }
            completeDrainIfDone();
        }
        return drained;
    }

    /**
     * Closes the listening socket and every connection now (HTTP/2: GOAWAY, then close without
     * waiting for streams in flight); waits up to 5 seconds for them to be closed.
     */
    @Override
    public void close() {
        draining = true;
        if (server != null) {
            server.close().awaitUninterruptibly();
        }
        for (Channel ch : connections) {
            try {
                ch.eventLoop().execute(() -> {
                    H2InboundHandler h2 = ch.pipeline().get(H2InboundHandler.class);
                    if (h2 != null) {
                        h2.closeNow();
                    } else {
                        ch.close();
                    }
                });
            } catch (RejectedExecutionException e) {
                // Its event loop is shut down, which closed it.
                ch.close();
            }
        }
        completeDrainIfDone();
        try {
            // Completes once the last connection's close listener has removed it.
            drained.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("listener {}: {} connection(s) still open after close", config.name(), connections.size());
        }
    }

    /** Called for each accepted connection; false (and the connection closed) beyond the limit. */
    boolean admit(Channel ch) {
        InetSocketAddress remote = ConnectionAttributes.remoteAddress(ch);
        if (!gate.admit(remote)) {
            counters.gateRefused.increment();
            ch.close();
            return false;
        }
        if (open.incrementAndGet() > config.maxConnections()) {
            open.decrementAndGet();
            gate.closed(remote);
            counters.refused.increment();
            if (metrics != null) {
                metrics.connectionRefused();
            }
            long now = System.nanoTime();
            long last = lastRefusalWarning.get();
            if (now - last >= REFUSAL_WARN_INTERVAL_NANOS && lastRefusalWarning.compareAndSet(last, now)) {
                LOG.warn("listener {}: at its maximum of {} connections, refusing {} ({} refused so far)",
                        config.name(), config.maxConnections(),
                        Downstream.format(ConnectionAttributes.remoteAddress(ch)), counters.refused());
            }
            ch.close();
            return false;
        }
        counters.accepted.increment();
        if (metrics != null) {
            metrics.connectionAccepted();
        }
        connections.add(ch);
        ch.attr(ConnectionAttributes.LISTENER).set(config.name());
        if (draining) {
            ch.attr(ConnectionAttributes.DRAINING).set(Boolean.TRUE);
        }
        ch.closeFuture().addListener(f -> {
            open.decrementAndGet();
            if (metrics != null) {
                metrics.connectionClosed();
            }
            gate.closed(remote);
            connections.remove(ch);
            completeDrainIfDone();
        });
        return true;
    }

    IdleStateHandler newIdleHandler() {
        long idleMillis = config.idleTimeout().toMillis();
        return metrics == null ? new IdleStateHandler(false, 0, 0, idleMillis, TimeUnit.MILLISECONDS)
                : new CountingIdleHandler(idleMillis, metrics);
    }

    private void completeDrainIfDone() {
        if (draining && connections.isEmpty() && drained.complete(null) && drainRequested) {
            LOG.info("listener {}: drained", config.name());
        }
    }
}
