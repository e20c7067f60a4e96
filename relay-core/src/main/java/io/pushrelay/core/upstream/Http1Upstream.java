package io.pushrelay.core.upstream;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.connect.UpstreamProtocol;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.policy.Route;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream of a chained relay-pre ({@code via}): every request, whatever its route, goes as
 * HTTP/1.1 to one endpoint, relay-post, which turns it back into HTTP/2; so that a legacy
 * TLS-inspecting proxy between the two sees, and audits, each request. Connections are opened by
 * a {@link Connector} (directly, or through the corporate proxy with {@code CONNECT}) to
 * {@link ViaEndpoint#route()}: for {@code https}, TLS with SNI and certificate check on the via
 * host, ALPN {@code http/1.1} (the connector's {@link UpstreamProtocol#HTTP_1_1}), trust and
 * client certificate from the connector's config; for {@code http}, a raw tunnel.
 *
 * <p><b>Requests.</b> {@code METHOD /path HTTP/1.1} in origin-form; the authority (the route's,
 * e.g. {@code api.push.apple.com}) in {@code Host} or in {@code Forwarded: host=} as
 * {@link Http1UpstreamConfig.AuthorityHeader} says; the request's regular headers
 * ({@code authorization} untouched); the body with {@code Content-Length}. One request at a time
 * per connection: HTTP/1.1 pipelining through proxies is unsafe, so concurrency comes from up to
 * {@code maxConnectionsPerLoop} keep-alive connections per event loop, and waiting requests queue
 * (bounded).
 *
 * <p><b>Answers.</b> Every request is answered exactly once through its sink: the upstream's
 * response (status, headers without hop-by-hop ones, whole body, {@code upstreamConnection} =
 * e.g. {@code v3}), or a relay-made one: {@code PROXY_*}/{@code UPSTREAM_UNAVAILABLE}/
 * {@code UPSTREAM_TLS_FAILED} when no connection can be made (at once while backing off),
 * {@code OVERLOADED} when the queue is full, {@code UPSTREAM_RESET} when a connection ends
 * without a complete answer or the answer is malformed or too large, {@code UPSTREAM_TIMEOUT}
 * after {@code requestTimeout}, {@code SHUTTING_DOWN} once draining or closed,
 * {@code BAD_REQUEST} for a request that cannot be written as HTTP/1.1 (CR or LF in a field),
 * {@code METHOD_NOT_ALLOWED} for {@code HEAD} and {@code CONNECT}. A request is sent again
 * (once, on a connection proven alive) only when not one of its bytes reached the socket; see
 * {@link H1Connection} for why the keep-alive race is not retried.
 *
 * <p><b>Threading.</b> {@link #send} may be called from any thread. Called on an event loop (the
 * downstream channel's), the request goes on a connection of that same loop: no thread hop.
 * Called elsewhere, a loop of the group takes it. Each loop has its own connections and limits;
 * the answer reaches the sink on that loop.
 *
 * <p><b>Buffers.</b> {@code send} takes ownership of the request's body and releases it once the
 * request is answered; the response's body belongs to the sink.
 */
public final class Http1Upstream implements Upstream, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Http1Upstream.class);

    private final Connector connector;
    private final ViaEndpoint via;
    private final Http1UpstreamConfig config;
    private final EventLoopGroup group;
    private final ConcurrentHashMap<EventLoop, H1LoopPool> loops = new ConcurrentHashMap<>();
    private final H1Metrics metrics = new H1Metrics();
    private final AtomicLong connectionIds = new AtomicLong();
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicBoolean accepting = new AtomicBoolean(true);
    private volatile boolean stopping;
    private volatile boolean closed;

    /**
     * @param connector opens the connections (direct or through the proxy); for an {@code https}
     *                  endpoint it must be configured with {@link UpstreamProtocol#HTTP_1_1}, the
     *                  via CA ({@code upstreamCa}) and the client certificate; not closed here
     * @param via       the one endpoint every request goes to
     * @param config    limits and timers
     * @param group     the loops that take requests sent from outside any event loop; not shut down here
     * @throws IllegalArgumentException when an {@code https} endpoint's connector would negotiate h2
     */
    public Http1Upstream(Connector connector, ViaEndpoint via, Http1UpstreamConfig config, EventLoopGroup group) {
        this.connector = Objects.requireNonNull(connector, "connector");
        this.via = Objects.requireNonNull(via, "via");
        this.config = Objects.requireNonNull(config, "config");
        this.group = Objects.requireNonNull(group, "group");
        if (via.tls() && connector.config().protocol() != UpstreamProtocol.HTTP_1_1) {
            throw new IllegalArgumentException("via " + via + ": the connector offers "
                    + connector.config().protocol().alpnId() + " by ALPN; HTTP/1.1 needs a connector built with "
                    + "ConnectorConfig.withProtocol(UpstreamProtocol.HTTP_1_1)");
        }
    }

    /**
     * Sends {@code request} to the via endpoint. {@code route} gives the authority the request is
     * meant for; its {@code host:port} play no part (every request goes to the via endpoint).
     */
    @Override
    public void send(Route route, RelayRequest request, ResponseSink sink) {
        if (!accepting.get()) {
            answerNow(request, sink, RelayError.SHUTTING_DOWN);
            return;
        }
        EventLoop loop = loopForCaller();
        metrics.requests.increment();
        outstanding.incrementAndGet();
        if (loop.inEventLoop()) {
            loopPool(loop).send(route, request, sink);
            return;
        }
        try {
            loop.execute(() -> loopPool(loop).send(route, request, sink));
        } catch (RejectedExecutionException e) {
            outstanding.decrementAndGet();
            answerNow(request, sink, RelayError.SHUTTING_DOWN);
        }
    }

    /** Current counters. Safe from any thread. */
    public Http1UpstreamStats stats() {
        return metrics.snapshot();
    }

    public Connector connector() {
        return connector;
    }

    public ViaEndpoint via() {
        return via;
    }

    public Http1UpstreamConfig config() {
        return config;
    }

    /**
     * Stops taking requests ({@code SHUTTING_DOWN} from now on), lets every accepted one finish
     * (queued ones included), closes each connection once it has nothing left to carry. After
     * {@code grace}, whatever is left is closed hard ({@link #close()}). The future completes when
     * every request was answered and every connection is closed.
     */
    public CompletableFuture<Void> drain(Duration grace) {
        accepting.set(false);
        stopping = true;
        forEachLoop(H1LoopPool::drainAll);
        CompletableFuture<Void> done = new CompletableFuture<>();
        long deadline = System.nanoTime() + grace.toNanos();
        EventLoop timer = group.next();
        Runnable check = new Runnable() {
            @Override
            public void run() {
                if (done.isDone()) {
                    return;
                }
                if (System.nanoTime() - deadline >= 0) {
                    closeAsync().whenComplete((v, t) -> done.complete(null));
                    return;
                }
                if (outstanding.get() == 0) {
                    forEachLoop(H1LoopPool::drainAll);
                    if (metrics.connectionsOpen.get() == 0 && metrics.connectionsOpening.get() == 0) {
                        done.complete(null);
                        return;
                    }
                }
                try {
                    timer.schedule(this, 10, TimeUnit.MILLISECONDS);
                } catch (RejectedExecutionException e) {
                    done.complete(null);
                }
            }
        };
        try {
            timer.execute(check);
        } catch (RejectedExecutionException e) {
            done.complete(null);
        }
        return done;
    }

    /**
     * Closes at once: waiting requests are answered {@code SHUTTING_DOWN}, requests on a
     * connection {@code UPSTREAM_RESET}, new ones {@code SHUTTING_DOWN}. Waits (up to 5 s, and not
     * at all on an event loop) until every connection is closed and every request answered.
     */
    @Override
    public void close() {
        CompletableFuture<Void> done = closeAsync();
        if (ThreadExecutorMap.currentExecutor() == null) {
            try {
                done.get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.warn("HTTP/1.1 upstream {} not closed within 5 s: {}", via, stats());
            }
        }
    }

    private CompletableFuture<Void> closeAsync() {
        accepting.set(false);
        stopping = true;
        closed = true;
        forEachLoop(H1LoopPool::closeAll);
        CompletableFuture<Void> done = new CompletableFuture<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Thread waiter = new Thread(() -> {
            while (System.nanoTime() - deadline < 0 && (outstanding.get() > 0 || metrics.connectionsOpen.get() > 0
                    || metrics.connectionsOpening.get() > 0)) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    break;
                }
            }
            done.complete(null);
        }, "http1-upstream-close");
        waiter.setDaemon(true);
        waiter.start();
        return done;
    }

    private void forEachLoop(Consumer<H1LoopPool> action) {
        for (H1LoopPool lp : new ArrayList<>(loops.values())) {
            try {
                if (lp.loop().inEventLoop()) {
                    action.accept(lp);
                } else {
                    lp.loop().execute(() -> action.accept(lp));
                }
            } catch (RejectedExecutionException e) {
                LOG.debug("event loop gone while stopping the HTTP/1.1 upstream");
            }
        }
    }

    /**
     * The channels of every open connection, gathered from their event loops (for diagnostics and
     * tests; waits up to 5 s; not to be called on an event loop).
     */
    List<Channel> channels() {
        List<Channel> out = new ArrayList<>();
        for (H1LoopPool lp : new ArrayList<>(loops.values())) {
            try {
                out.addAll(lp.loop().submit(lp::channels).get(5, TimeUnit.SECONDS));
            } catch (Exception e) {
                throw new IllegalStateException("cannot list connections of " + lp.loop(), e);
            }
        }
        return out;
    }

    boolean isStopping() {
        return stopping;
    }

    boolean isClosed() {
        return closed;
    }

    H1Metrics metrics() {
        return metrics;
    }

    String nextConnectionId() {
        return "v" + connectionIds.incrementAndGet();
    }

    void exchangeDone(RelayError error) {
        outstanding.decrementAndGet();
        if (error == null) {
            metrics.responses.increment();
        } else if (error == RelayError.UPSTREAM_RESET) {
            metrics.resets.increment();
        } else if (error == RelayError.UPSTREAM_TIMEOUT) {
            metrics.timeouts.increment();
        } else if (error == RelayError.OVERLOADED) {
            metrics.overloaded.increment();
        }
    }

    private H1LoopPool loopPool(EventLoop loop) {
        return loops.computeIfAbsent(loop, l -> new H1LoopPool(this, l));
    }

    private EventLoop loopForCaller() {
        EventExecutor current = ThreadExecutorMap.currentExecutor();
        if (current instanceof EventLoop loop && loop.inEventLoop() && connector.supports(loop)) {
            return loop;
        }
        return group.next();
    }

    private static void answerNow(RelayRequest request, ResponseSink sink, RelayError error) {
        request.release();
        sink.respond(RelayResponse.of(error, ByteBufAllocator.DEFAULT));
    }
}
