package io.pushrelay.core.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.pushrelay.core.connect.ConnectorException;
import io.pushrelay.core.connect.UpstreamPipeline;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.policy.Route;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import io.pushrelay.core.observe.metrics.RelayMetrics;
import io.pushrelay.core.observe.metrics.RetryReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of an {@link Http1Upstream} that lives on one event loop: its connections to the via
 * endpoint and the requests waiting for them.
 *
 * <p>Dispatch: a request goes on a free connection, the most recently used first (the least
 * likely to have been closed as idle by the upstream); if none is free it queues (up to
 * {@code maxPendingPerLoop}, else {@code OVERLOADED}) and connections open, as many as requests
 * wait, up to {@code maxConnectionsPerLoop}. A request that must go again (not one byte of it
 * reached the socket) waits for a connection proven alive just now: a new one, or one that has
 * just answered; never one picked from the idle set. A failed connect starts an exponential
 * backoff; while it lasts, requests with no connection to wait for fail at once with that
 * connect error.
 *
 * <p>Confined to its event loop: every method runs there.
 */
final class H1LoopPool implements LoopPoolUpstream.LoopPart {
    private static final Logger LOG = LoggerFactory.getLogger(H1LoopPool.class);

    private final Http1Upstream upstream;
    private final EventLoop loop;
    private final Http1UpstreamConfig config;
    /** Ready connections, free or busy. */
    private final Set<H1Connection> connections = new LinkedHashSet<>();
    /** Free connections, most recently used first. */
    private final ArrayDeque<H1Connection> free = new ArrayDeque<>();
    private final ArrayDeque<H1Exchange> pending = new ArrayDeque<>();
    /** Requests to send again, waiting for a connection proven alive. */
    private final ArrayDeque<H1Exchange> retrying = new ArrayDeque<>();
    private int opening;
    private final ConnectBackoff<ConnectorException> backoff;

    H1LoopPool(Http1Upstream upstream, EventLoop loop) {
        this.upstream = upstream;
        this.loop = loop;
        this.config = upstream.config();
        this.backoff = new ConnectBackoff<>(config.backoffMin(), config.backoffMax());
    }

    @Override
    public EventLoop loop() {
        return loop;
    }

    H1Metrics metrics() {
        return upstream.metrics();
    }

    ViaEndpoint via() {
        return upstream.via();
    }

    /** Draining or closed: connections close once their request is answered. */
    boolean isStopping() {
        return upstream.isStopping();
    }

    // ---- requests --------------------------------------------------------------------------

    @Override
    public void send(Route route, RelayRequest request, ResponseSink sink) {
        H1Exchange ex = new H1Exchange(route, request, sink, this);
        if (upstream.isClosed()) {
            ex.fail(RelayError.SHUTTING_DOWN, "HTTP/1.1 upstream closed");
            return;
        }
        if (request.method().equals("HEAD") || request.method().equals("CONNECT")) {
            // A HEAD answer has no body whatever its Content-Length says, CONNECT no answer body at
            // all: neither fits the one-answer-per-request reading here, and no route needs them.
            ex.fail(RelayError.METHOD_NOT_ALLOWED, request.method() + " is not relayed over HTTP/1.1");
            return;
        }
        ex.timeout = loop.schedule(() -> timedOut(ex), config.requestTimeout().toNanos(), TimeUnit.NANOSECONDS);
        H1Connection c = pending.isEmpty() ? takeFree() : null;
        if (c != null) {
            c.write(ex);
            if (c.isFree()) {
                serve(c); // not sent (BAD_REQUEST): the connection goes back
            }
            return;
        }
        if (connections.isEmpty() && opening == 0 && backingOff()) {
            ConnectorException last = backoff.lastFailure();
            ex.fail(last.error(), last.getMessage());
            return;
        }
        if (pending.size() >= config.maxPendingPerLoop()) {
            ex.fail(RelayError.OVERLOADED, via() + ": " + pending.size() + " requests already waiting");
            return;
        }
        enqueue(pending, ex);
        maybeOpen();
    }

    /** Not one byte of {@code ex} reached the socket: send it again, once, on a connection proven alive. */
    void notSent(H1Exchange ex, String why) {
        ex.connection = null;
        if (ex.done) {
            return;
        }
        if (ex.retried || upstream.isClosed()) {
            ex.fail(upstream.isClosed() ? RelayError.SHUTTING_DOWN : RelayError.UPSTREAM_UNAVAILABLE,
                    why + (ex.retried ? "; not sent on two connections" : ""));
            return;
        }
        ex.retried = true;
        metrics().retries.increment();
        RelayMetrics relayMetrics = upstream.connector().metrics();
        if (relayMetrics != null) {
            relayMetrics.upstreamRetried(RetryReason.NOT_SENT);
        }
        LOG.debug("sending {} again: {}", ex.request.downstreamId(), why);
        enqueue(retrying, ex);
        maybeOpen();
    }

    private void timedOut(H1Exchange ex) {
        if (ex.done) {
            return;
        }
        String where;
        if (ex.queued) {
            where = "waiting for a connection";
            if (!pending.remove(ex)) {
                retrying.remove(ex);
            }
            ex.queued = false;
            metrics().pending.decrementAndGet();
        } else if (ex.connection != null) {
            where = "sent on " + ex.connection.id();
            ex.connection.abandon(ex);
        } else {
            where = "not sent";
        }
        ex.fail(RelayError.UPSTREAM_TIMEOUT, "no answer within " + config.requestTimeout().toMillis() + " ms ("
                + where + ")");
    }

    void exchangeDone(RelayError error) {
        upstream.exchangeDone(error);
    }

    private void enqueue(ArrayDeque<H1Exchange> queue, H1Exchange ex) {
        ex.queued = true;
        metrics().pending.incrementAndGet();
        queue.addLast(ex);
    }

    private H1Exchange poll(ArrayDeque<H1Exchange> queue) {
        H1Exchange ex = queue.pollFirst();
        if (ex != null) {
            ex.queued = false;
            metrics().pending.decrementAndGet();
        }
        return ex;
    }

    private H1Connection takeFree() {
        H1Connection c;
        while ((c = free.pollFirst()) != null) {
            if (c.isFree()) {
                return c;
            }
        }
        return null;
    }

    /** {@code c} is free and proven alive (new, or it has just answered): the retries first, then the queue. */
    private void serve(H1Connection c) {
        while (c.isFree()) {
            H1Exchange ex = poll(retrying);
            if (ex == null) {
                ex = poll(pending);
            }
            if (ex == null) {
                free.addFirst(c);
                c.startIdle();
                return;
            }
            if (!ex.done) {
                c.write(ex); // a BAD_REQUEST answer leaves c free: take the next
            }
        }
    }

    private void failWaiting(RelayError error, String message) {
        H1Exchange ex;
        while ((ex = poll(retrying)) != null) {
            ex.fail(error, message);
        }
        while ((ex = poll(pending)) != null) {
            ex.fail(error, message);
        }
    }

    // ---- connections -----------------------------------------------------------------------

    private boolean backingOff() {
        return backoff.lastFailure() != null && backoff.active();
    }

    private void maybeOpen() {
        if (upstream.isClosed() || backingOff()) {
            return;
        }
        int wanted = pending.size() + retrying.size() - opening;
        while (wanted > 0 && connections.size() + opening < config.maxConnectionsPerLoop()) {
            open();
            wanted--;
        }
        if (!retrying.isEmpty() && opening == 0 && !free.isEmpty()) {
            // A retry waits for a connection proven alive and none is opening (at the limit):
            // make room by closing the free connection unused for longest.
            free.pollLast().close();
        }
    }

    private void open() {
        opening++;
        metrics().connectionsOpening.incrementAndGet();
        H1Connection c = new H1Connection(this, upstream.nextConnectionId(), config);
        ChannelInitializer<Channel> init = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addFirst(UpstreamPipeline.UPSTREAM_H1_METER, c.meter());
                ch.pipeline().addLast(UpstreamPipeline.UPSTREAM_H1_DECODER, c.newDecoder());
                ch.pipeline().addLast(UpstreamPipeline.UPSTREAM_H1, c);
                // A raw tunnel comes with AUTO_READ off; an idle keep-alive connection must keep
                // reading to see the upstream close it.
                ch.config().setAutoRead(true);
            }
        };
        Route route = via().route();
        Future<Channel> connected = via().tls()
                ? upstream.connector().connect(loop, route, init)
                : upstream.connector().tunnel(loop, route, init);
        connected.addListener(f -> {
            if (f.isCancelled()) {
                return;
            }
            if (f.isSuccess()) {
                connectionReady(c, (Channel) f.getNow());
                return;
            }
            Throwable cause = f.cause();
            connectFailed(cause instanceof ConnectorException ce ? ce
                    : new ConnectorException(RelayError.UPSTREAM_UNAVAILABLE,
                            upstream.connector().describe() + " => " + via() + ", " + cause, cause));
        });
    }

    private void connectionReady(H1Connection c, Channel ch) {
        opening--;
        metrics().connectionsOpening.decrementAndGet();
        backoff.reset();
        if (!ch.isActive()) {
            afterLoss(); // closed already, before it could take a request
            return;
        }
        c.markReady();
        connections.add(c);
        metrics().connectionsOpen.incrementAndGet();
        metrics().connectionsOpened.increment();
        LOG.debug("upstream {} open: {} via {}", c.id(), via(), upstream.connector().describe());
        if (upstream.isClosed() || (isStopping() && pending.isEmpty() && retrying.isEmpty())) {
            c.close();
            return;
        }
        serve(c);
    }

    private void connectFailed(ConnectorException failure) {
        opening--;
        metrics().connectionsOpening.decrementAndGet();
        metrics().connectFailures.increment();
        long delay = backoff.failed(failure);
        if (!upstream.isClosed()) {
            LOG.warn("upstream {} connect failed [{}]: {}; next attempt in {} ms", via(), failure.error().flag(),
                    failure.getMessage(), TimeUnit.NANOSECONDS.toMillis(delay));
        }
        if (connections.isEmpty() && opening == 0) {
            failWaiting(upstream.isClosed() ? RelayError.SHUTTING_DOWN : failure.error(),
                    upstream.isClosed() ? "HTTP/1.1 upstream closed" : failure.getMessage());
        }
    }

    void connectionBusy(H1Connection c, boolean reused) {
        metrics().connectionsBusy.incrementAndGet();
        if (reused) {
            metrics().reusedRequests.increment();
        }
    }

    void connectionNotBusy(H1Connection c) {
        metrics().connectionsBusy.decrementAndGet();
    }

    /** {@code c} answered and may stay open: it takes the next request, or waits, or closes when stopping. */
    void connectionFree(H1Connection c) {
        if (isStopping() && pending.isEmpty() && retrying.isEmpty()) {
            c.close();
            return;
        }
        serve(c);
    }

    /** {@code c}'s channel is gone (it was ready, or it was never handed over). */
    void connectionClosed(H1Connection c) {
        free.remove(c);
        if (connections.remove(c)) {
            metrics().connectionsOpen.decrementAndGet();
        }
        afterLoss();
    }

    /** A connection is gone: waiting requests get another one, or their answer when none can come. */
    private void afterLoss() {
        if (pending.isEmpty() && retrying.isEmpty()) {
            return;
        }
        maybeOpen();
        if (connections.isEmpty() && opening == 0) {
            ConnectorException last = backoff.lastFailure();
            failWaiting(upstream.isClosed() ? RelayError.SHUTTING_DOWN
                            : last != null ? last.error() : RelayError.UPSTREAM_UNAVAILABLE,
                    upstream.isClosed() ? "HTTP/1.1 upstream closed"
                            : last != null ? last.getMessage() : via() + ": no connection");
        }
    }

    /** Hard close: waiting requests are answered SHUTTING_DOWN, connections closed at once. */
    @Override
    public void closeAll() {
        failWaiting(RelayError.SHUTTING_DOWN, "HTTP/1.1 upstream closed");
        for (H1Connection c : new ArrayList<>(connections)) {
            c.close();
        }
    }

    /** Graceful: free connections close now, busy ones once answered. */
    @Override
    public void drainAll() {
        for (H1Connection c : new ArrayList<>(free)) {
            c.close();
        }
        free.clear();
    }

    @Override
    public List<Channel> channels() {
        List<Channel> out = new ArrayList<>();
        for (H1Connection c : connections) {
            out.add(c.channel());
        }
        return out;
    }
}
