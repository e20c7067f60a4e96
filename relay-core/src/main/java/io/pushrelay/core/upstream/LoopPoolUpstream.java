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
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;

/**
 * The skeleton of an upstream that keeps its connections per event loop ({@link UpstreamPool}
 * for HTTP/2, {@link Http1Upstream} for HTTP/1.1): one {@link LoopPart} per loop, made on first
 * use; the request counting that tells when a drain is done; drain and close. What a connection
 * is, and how a request gets on one, is the {@link LoopPart}'s business.
 *
 * <p><b>Threading.</b> {@link #send} may be called from any thread. Called on an event loop (the
 * downstream channel's) that the connector can use, the request goes to that loop's part: no
 * thread hop. Called elsewhere, a loop of the group takes it. The answer reaches the sink on
 * that loop.
 *
 * <p><b>Buffers.</b> {@code send} takes ownership of the request's body and releases it once the
 * request is answered (the part does, or this class when it answers at once); the response's
 * body belongs to the sink.
 *
 * @param <P> the per-loop part
 * @param <M> the counters
 */
abstract class LoopPoolUpstream<P extends LoopPoolUpstream.LoopPart, M extends UpstreamCounters>
        implements Upstream, AutoCloseable {

    /** The part of the upstream that lives on one event loop; every method runs there. */
    interface LoopPart {
        EventLoop loop();

        /** Takes the request (and its body); answers it exactly once, on this loop. */
        void send(Route route, RelayRequest request, ResponseSink sink);

        /** Graceful: connections close once they have nothing left to carry. */
        void drainAll();

        /** Hard close: waiting requests are answered, connections closed at once. */
        void closeAll();

        /** The channels of this loop's connections. */
        List<Channel> channels();
    }

    private final Logger log;
    private final String name;
    private final String closeThreadName;
    private final String connectionIdPrefix;
    private final boolean drainConnectionsAtOnce;
    private final Connector connector;
    private final EventLoopGroup group;
    private final M metrics;
    private final ConcurrentHashMap<EventLoop, P> loops = new ConcurrentHashMap<>();
    private final Function<EventLoop, P> newLoopPart = this::newLoopPart;
    private final AtomicLong connectionIds = new AtomicLong();
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicBoolean accepting = new AtomicBoolean(true);
    private volatile boolean stopping;
    private volatile boolean closed;

    /**
     * @param log                    where the subclass logs (its own category)
     * @param name                   how log lines and the close thread name this upstream
     * @param closeThreadName        the name of the thread {@link #close()} waits with
     * @param connectionIdPrefix     the letter before each connection's number ({@code u3}, {@code v3})
     * @param drainConnectionsAtOnce {@code true}: a drain asks every loop to drain its connections
     *                               at once and again on each check while no request is left
     *                               (connections close as they come free); {@code false}: once,
     *                               when the last request is answered
     * @param connector              opens the connections; not closed here
     * @param group                  the loops that take requests sent from outside any event loop;
     *                               not shut down here
     * @param metrics                the counters
     */
    LoopPoolUpstream(Logger log, String name, String closeThreadName, String connectionIdPrefix,
            boolean drainConnectionsAtOnce,
            Connector connector, EventLoopGroup group, M metrics) {
        this.log = log;
        this.name = name;
        this.closeThreadName = closeThreadName;
        this.connectionIdPrefix = connectionIdPrefix;
        this.drainConnectionsAtOnce = drainConnectionsAtOnce;
        this.connector = Objects.requireNonNull(connector, "connector");
        this.group = Objects.requireNonNull(group, "group");
        this.metrics = metrics;
    }

    /** Makes the part of {@code loop}; called on first use of that loop. */
    abstract P newLoopPart(EventLoop loop);

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
            loopPart(loop).send(route, request, sink);
            return;
        }
        try {
            loop.execute(() -> loopPart(loop).send(route, request, sink));
        } catch (RejectedExecutionException e) {
            outstanding.decrementAndGet();
            answerNow(request, sink, RelayError.SHUTTING_DOWN);
        }
    }

    public Connector connector() {
        return connector;
    }

    /**
     * Stops taking requests ({@code SHUTTING_DOWN} from now on), lets every accepted request
     * finish (queued ones included), and closes the connections gracefully. After {@code grace},
     * whatever is left is closed hard ({@link #close()}). The future completes when every request
     * was answered and every connection is closed.
     */
    public CompletableFuture<Void> drain(Duration grace) {
        accepting.set(false);
        stopping = true;
        if (drainConnectionsAtOnce) {
            forEachLoop(LoopPart::drainAll);
        }
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
                if (outstanding.get() == 0) {
                    if (drainConnectionsAtOnce || connectionsAsked.compareAndSet(false, true)) {
                        forEachLoop(LoopPart::drainAll);
                    }
                    if (metrics.noConnections()) {
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
                log.warn("{} not closed within 5 s: {}", name, metrics.snapshot());
            }
        }
    }

    private CompletableFuture<Void> closeAsync() {
        accepting.set(false);
        stopping = true;
        closed = true;
        forEachLoop(LoopPart::closeAll);
        CompletableFuture<Void> done = new CompletableFuture<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Thread waiter = new Thread(() -> {
            while (System.nanoTime() - deadline < 0 && (outstanding.get() > 0 || !metrics.noConnections())) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    break;
                }
            }
            done.complete(null);
        }, closeThreadName);
        waiter.setDaemon(true);
        waiter.start();
        return done;
    }

    private void forEachLoop(Consumer<LoopPart> action) {
        for (P lp : new ArrayList<>(loops.values())) {
            try {
                if (lp.loop().inEventLoop()) {
                    action.accept(lp);
                } else {
                    lp.loop().execute(() -> action.accept(lp));
                }
            } catch (RejectedExecutionException e) {
                log.debug("event loop gone while stopping the {}", name);
            }
        }
    }

    /**
     * The channels of every open connection, gathered from their event loops (for diagnostics and
     * tests; waits up to 5 s; not to be called on an event loop).
     */
    List<Channel> channels() {
        List<Channel> out = new ArrayList<>();
        askEachLoop(LoopPart::channels).forEach(out::addAll);
        return out;
    }

    /** What {@code question} answers on each loop's part, asked on its loop (waits up to 5 s each). */
    <T> List<T> askEachLoop(Function<P, T> question) {
        List<T> out = new ArrayList<>();
        for (P lp : new ArrayList<>(loops.values())) {
            try {
                out.add(lp.loop().submit(() -> question.apply(lp)).get(5, TimeUnit.SECONDS));
            } catch (Exception e) {
                throw new IllegalStateException("cannot ask " + lp.loop(), e);
            }
        }
        return out;
    }

    /** Draining or closed. */
    final boolean isStopping() {
        return stopping;
    }

    final boolean isClosed() {
        return closed;
    }

    final M metrics() {
        return metrics;
    }

    final String nextConnectionId() {
        return connectionIdPrefix + connectionIds.incrementAndGet();
    }

    /** An accepted request was answered; {@code error} is null for the upstream's own answer. */
    final void exchangeDone(RelayError error) {
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

    private P loopPart(EventLoop loop) {
        return loops.computeIfAbsent(loop, newLoopPart);
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
