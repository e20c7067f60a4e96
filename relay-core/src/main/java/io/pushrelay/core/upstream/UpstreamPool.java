package io.pushrelay.core.upstream;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import io.pushrelay.core.connect.Connector;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP/2 client connections to the upstreams, opened through a {@link Connector}, keyed by
 * (route host, port, authority, client identity). The identity is the team in the provider
 * token's {@code iss} claim ({@code authorization: bearer <jwt>}; APNS allows one team per
 * connection), and for a pool whose connector presents a client certificate, that certificate.
 *
 * <p><b>Threading.</b> {@link #send} may be called from any thread. Called on an event loop (the
 * downstream channel's), the request is written on an upstream connection opened on that same
 * loop: no thread hop. Called elsewhere, a loop of the pool's group takes it. Each loop has its
 * own connections and limits; the answer reaches the sink on that loop.
 *
 * <p><b>Answers.</b> Every request is answered exactly once through its sink: the upstream's
 * response (status, regular headers, whole body, {@code upstreamConnection} = e.g. {@code u3}),
 * or a relay-made one: {@code UPSTREAM_UNAVAILABLE}/{@code PROXY_*}/{@code UPSTREAM_TLS_FAILED}
 * when the connection cannot be made (at once while backing off), {@code OVERLOADED} when the
 * queue is full, {@code UPSTREAM_RESET} when a stream ends without an answer the upstream may have
 * acted on, {@code UPSTREAM_TIMEOUT} after {@code requestTimeout}, {@code SHUTTING_DOWN} once
 * closing. Requests the upstream provably did not process (REFUSED_STREAM, above a GOAWAY's last
 * stream id) are retried, up to {@code maxRetries}.
 *
 * <p><b>Buffers.</b> {@code send} takes ownership of the request's body and releases it once the
 * request is answered; the response's body belongs to the sink.
 */
public final class UpstreamPool implements Upstream, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamPool.class);

    private final Connector connector;
    private final UpstreamConfig config;
    private final EventLoopGroup group;
    private final ConcurrentHashMap<EventLoop, LoopPool> loops = new ConcurrentHashMap<>();
    private final Metrics metrics = new Metrics();
    private final AtomicLong connectionIds = new AtomicLong();
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicBoolean accepting = new AtomicBoolean(true);
    private volatile boolean closed;

    /**
     * @param connector how connections are opened (direct or through the proxy); not closed here
     * @param config    limits and timers
     * @param group     the loops that take requests sent from outside any event loop; not shut down here
     */
    public UpstreamPool(Connector connector, UpstreamConfig config, EventLoopGroup group) {
        this.connector = Objects.requireNonNull(connector, "connector");
        this.config = Objects.requireNonNull(config, "config");
        this.group = Objects.requireNonNull(group, "group");
    }

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
    public UpstreamStats stats() {
        return metrics.snapshot();
    }

    public Connector connector() {
        return connector;
    }

    public UpstreamConfig config() {
        return config;
    }

    /**
     * Stops taking requests ({@code SHUTTING_DOWN} from now on), lets every accepted request
     * finish, then closes the connections with GOAWAY. After {@code grace}, whatever is left is
     * closed hard ({@link #close()}). The future completes when every request was answered and
     * every connection is closed.
     */
    public CompletableFuture<Void> drain(Duration grace) {
        accepting.set(false);
        CompletableFuture<Void> done = new CompletableFuture<>();
        long deadline = System.nanoTime() + grace.toNanos();
        AtomicBoolean connectionsAsked = new AtomicBoolean();
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
                if (outstanding.get() == 0 && connectionsAsked.compareAndSet(false, true)) {
                    forEachLoop(LoopPool::drainAll);
                }
                if (outstanding.get() == 0 && metrics.connectionsOpen.get() == 0
                        && metrics.connectionsOpening.get() == 0) {
                    done.complete(null);
                    return;
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
     * Closes at once: queued requests are answered {@code SHUTTING_DOWN}, requests in flight
     * {@code UPSTREAM_RESET}, new ones {@code SHUTTING_DOWN}. Waits (up to 5 s, and not at all on
     * an event loop) until every connection is closed and every request answered.
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
                LOG.warn("upstream pool not closed within 5 s: {}", stats());
            }
        }
    }

    private CompletableFuture<Void> closeAsync() {
        accepting.set(false);
        closed = true;
        forEachLoop(LoopPool::closeAll);
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
        }, "upstream-pool-close");
        waiter.setDaemon(true);
        waiter.start();
        return done;
    }

    private void forEachLoop(java.util.function.Consumer<LoopPool> action) {
        List<LoopPool> all = new ArrayList<>(loops.values());
        for (LoopPool lp : all) {
            try {
                if (lp.loop().inEventLoop()) {
                    action.accept(lp);
                } else {
                    lp.loop().execute(() -> action.accept(lp));
                }
            } catch (RejectedExecutionException e) {
                LOG.debug("event loop gone while closing the upstream pool");
            }
        }
    }

    /**
     * The channels of every open upstream connection, gathered from their event loops (for
     * diagnostics and tests; waits up to 5 s; not to be called on an event loop).
     */
    List<Channel> channels() {
        List<Channel> out = new ArrayList<>();
        for (LoopPool lp : new ArrayList<>(loops.values())) {
            try {
                out.addAll(lp.loop().submit(lp::channels).get(5, TimeUnit.SECONDS));
            } catch (Exception e) {
                throw new IllegalStateException("cannot list connections of " + lp.loop(), e);
            }
        }
        return out;
    }

    boolean isClosed() {
        return closed;
    }

    Metrics metrics() {
        return metrics;
    }

    String nextConnectionId() {
        return "u" + connectionIds.incrementAndGet();
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

    private LoopPool loopPool(EventLoop loop) {
        return loops.computeIfAbsent(loop, l -> new LoopPool(this, l));
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
