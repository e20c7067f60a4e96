package io.pushrelay.core.upstream;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.concurrent.Future;
import io.pushrelay.core.connect.ConnectorException;
import io.pushrelay.core.connect.UpstreamPipeline;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.policy.Route;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import io.pushrelay.core.observe.metrics.RelayMetrics;
import io.pushrelay.core.observe.metrics.RetryReason;
import io.pushrelay.core.observe.metrics.TlsSide;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connections of one {@link PoolKey} on one event loop, and the requests waiting for them.
 *
 * <p>Dispatch: a request goes on the first ready connection below the upstream's
 * SETTINGS_MAX_CONCURRENT_STREAMS; if there is none, it queues (up to
 * {@code maxPendingPerKey}, else {@code OVERLOADED}) and a new connection opens, one at a time, up
 * to {@code maxConnectionsPerKey}. A failed connect starts an exponential backoff; while it
 * lasts, requests that have no connection to wait for fail at once with that connect error, so
 * none hangs on a dead upstream.
 *
 * <p>Confined to its event loop: every method runs there.
 */
final class KeyPool {
    private static final Logger LOG = LoggerFactory.getLogger(KeyPool.class);
    /** How often one request may be sent again after a GOAWAY above it. */
    static final int MAX_GOAWAY_RETRIES = 50;

    private final LoopPool loopPool;
    private final PoolKey key;
    private final Route route;
    private final UpstreamConfig config;
    private final List<UpstreamHandler> ready = new ArrayList<>();
    private final List<UpstreamHandler> draining = new ArrayList<>();
    private final ArrayDeque<Exchange> pending = new ArrayDeque<>();
    private int connecting;
    private final ConnectBackoff<UpstreamHandler.ConnectFailure> backoff;
    private boolean dispatching;
    private boolean removed;

    KeyPool(LoopPool loopPool, PoolKey key, Route route, UpstreamConfig config) {
        this.loopPool = loopPool;
        this.key = key;
        this.route = route;
        this.config = config;
        this.backoff = new ConnectBackoff<>(config.backoffMin(), config.backoffMax());
    }

    PoolKey key() {
        return key;
    }

    Metrics metrics() {
        return loopPool.metrics();
    }

    String describeConnector() {
        return loopPool.connector().describe();
    }

    void markRemoved() {
        removed = true;
    }

    // ---- requests --------------------------------------------------------------------------

    /** Sends {@code ex} on a connection, or queues it, or answers it. */
    void dispatch(Exchange ex, boolean retry) {
        if (ex.done) {
            return;
        }
        if (removed) {
            KeyPool current = loopPool.keyPool(key, route);
            ex.pool = current;
            current.dispatch(ex, retry);
            return;
        }
        if (loopPool.closed()) {
            ex.fail(RelayError.SHUTTING_DOWN, "upstream pool closed");
            return;
        }
        if (pending.isEmpty() || retry) {
            UpstreamHandler c;
            while ((c = pick()) != null) {
                if (c.write(ex)) {
                    return;
                }
            }
        }
        maybeOpen();
        if (ready.isEmpty() && connecting == 0) {
            UpstreamHandler.ConnectFailure failure = failureOrDefault();
            ex.fail(failure.error(), failure.message());
            return;
        }
        if (!retry && pending.size() >= config.maxPendingPerKey()) {
            ex.fail(RelayError.OVERLOADED, key + ": " + pending.size() + " requests already waiting");
            return;
        }
        ex.queued = true;
        metrics().pending.incrementAndGet();
        if (retry) {
            pending.addFirst(ex);
        } else {
            pending.addLast(ex);
        }
        drainPending();
    }

    /** Sends the request again after the upstream provably did not process it. */
    void retry(Exchange ex, RetryReason reason, String why) {
        if (ex.done) {
            return;
        }
        // A GOAWAY ends a connection, not the request's welcome: with many streams in flight the
        // same request can be above last-stream-id on one connection after another (each retried
        // one goes first on the next). Those retries have their own, larger bound, so that
        // REFUSED_STREAM keeps its budget; both are provably unprocessed attempts.
        boolean goAway = reason == RetryReason.GOAWAY;
        if (goAway ? ex.goAwayRetries >= MAX_GOAWAY_RETRIES : ex.retries >= config.maxRetries()) {
            ex.fail(RelayError.UPSTREAM_UNAVAILABLE, why + "; not processed after "
                    + (ex.retries + ex.goAwayRetries + 1) + " attempts");
            return;
        }
        if (goAway) {
            ex.goAwayRetries++;
        } else {
            ex.retries++;
        }
        metrics().retries.increment();
        RelayMetrics relayMetrics = loopPool.connector().metrics();
        if (relayMetrics != null) {
            relayMetrics.upstreamRetried(reason);
        }
        LOG.debug("retrying {} ({})", ex.request.downstreamId(), why);
        dispatch(ex, true);
    }

    /** The request timeout fired: cancel wherever the exchange is, answer UPSTREAM_TIMEOUT. */
    void timedOut(Exchange ex) {
        if (ex.done) {
            return;
        }
        String where = ex.queued ? "queued" : ex.connection != null
                ? "stream " + ex.streamId + " on " + ex.connection.id() : "not sent";
        if (ex.queued) {
            pending.remove(ex);
            ex.queued = false;
            metrics().pending.decrementAndGet();
        } else if (ex.connection != null) {
            ex.connection.cancel(ex);
        }
        ex.fail(RelayError.UPSTREAM_TIMEOUT, "no answer within " + config.requestTimeout().toMillis() + " ms ("
                + where + ")");
    }

    void unwatch(Exchange ex) {
        loopPool.unwatch(ex);
    }

    void exchangeDone(Exchange ex, RelayError error) {
        loopPool.exchangeDone(error);
    }

    private UpstreamHandler pick() {
        for (int i = 0; i < ready.size(); i++) {
            UpstreamHandler c = ready.get(i);
            if (c.canOpenStream()) {
                return c;
            }
        }
        return null;
    }

    private void drainPending() {
        if (dispatching) {
            return;
        }
        dispatching = true;
        try {
            while (!pending.isEmpty()) {
                UpstreamHandler c = pick();
                if (c == null) {
                    break;
                }
                Exchange ex = pending.pollFirst();
                ex.queued = false;
                metrics().pending.decrementAndGet();
                if (!ex.done && !c.write(ex)) {
                    ex.queued = true;
                    metrics().pending.incrementAndGet();
                    pending.addFirst(ex);
                }
            }
        } finally {
            dispatching = false;
        }
        if (!pending.isEmpty()) {
            maybeOpen();
            if (ready.isEmpty() && connecting == 0) {
                failPending(failureOrDefault());
            }
        }
    }

    private void failPending(UpstreamHandler.ConnectFailure failure) {
        Exchange ex;
        while ((ex = pending.pollFirst()) != null) {
            ex.queued = false;
            metrics().pending.decrementAndGet();
            ex.fail(failure.error(), failure.message());
        }
    }

    private UpstreamHandler.ConnectFailure failureOrDefault() {
        if (loopPool.closed()) {
            return new UpstreamHandler.ConnectFailure(RelayError.SHUTTING_DOWN, "upstream pool closed");
        }
        return backoff.lastFailure() != null ? backoff.lastFailure()
                : new UpstreamHandler.ConnectFailure(RelayError.UPSTREAM_UNAVAILABLE, key + ": no connection");
    }

    // ---- connections -----------------------------------------------------------------------

    private void maybeOpen() {
        if (connecting > 0 || ready.size() >= config.maxConnectionsPerKey() || loopPool.closed()) {
            return;
        }
        if (backoff.active()) {
            return; // backing off: requests fail fast with the last connect error
        }
        open();
    }

    private void open() {
        connecting++;
        metrics().connectionsOpening.incrementAndGet();
        UpstreamHandler handler = UpstreamHandler.create(this, loopPool.nextConnectionId(), config,
                loopPool.connector().config().handshakeTimeout().toMillis());
        Future<Channel> connected = loopPool.connector().connect(loopPool.loop(), route,
                new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(UpstreamPipeline.UPSTREAM_FLUSH, new FlushConsolidationHandler(256, true));
                        ch.pipeline().addLast(UpstreamPipeline.UPSTREAM_H2, handler);
                    }
                });
        connected.addListener(f -> {
            if (f.isCancelled()) {
                return;
            }
            if (!f.isSuccess()) {
                Throwable cause = f.cause();
                connectFailed(null, cause instanceof ConnectorException ce
                        ? new UpstreamHandler.ConnectFailure(ce.error(), ce.getMessage())
                        : new UpstreamHandler.ConnectFailure(RelayError.UPSTREAM_UNAVAILABLE,
                                describeConnector() + " => " + key.host() + ":" + key.port() + ", " + cause));
            } else if (loopPool.closed()) {
                ((Channel) f.getNow()).close();
            }
            // Otherwise the handler reports: connectionReady, or connectFailed before SETTINGS.
        });
    }

    void connectionReady(UpstreamHandler c) {
        connecting--;
        metrics().connectionsOpening.decrementAndGet();
        metrics().connectionsOpen.incrementAndGet();
        backoff.reset();
        if (loopPool.closed()) {
            c.closeNow();
            return;
        }
        ready.add(c);
        drainPending();
    }

    /** A connection attempt failed ({@code c} is null when it failed before the h2 handler ran). */
    void connectFailed(UpstreamHandler c, UpstreamHandler.ConnectFailure failure) {
        connecting--;
        metrics().connectionsOpening.decrementAndGet();
        metrics().connectFailures.increment();
        RelayMetrics relayMetrics = loopPool.connector().metrics();
        if (c != null && relayMetrics != null) {
            // Failed after the connector's part (which counts its own failures): before SETTINGS.
            boolean tls = failure.error() == RelayError.UPSTREAM_TLS_FAILED;
            relayMetrics.route(route.authority()).connectFailed(tls ? io.pushrelay.core.observe.metrics.ConnectFailure.TLS
                    : io.pushrelay.core.observe.metrics.ConnectFailure.CLOSED);
            if (tls) {
                relayMetrics.tlsHandshakeFailed(TlsSide.UPSTREAM);
            }
        }
        long delay = backoff.failed(failure);
        if (!loopPool.closed()) {
            LOG.warn("upstream {} connect failed [{}]: {}; next attempt in {} ms", key, failure.error().flag(),
                    failure.message(), TimeUnit.NANOSECONDS.toMillis(delay));
        }
        if (ready.isEmpty() && connecting == 0) {
            failPending(failureOrDefault());
        }
        // Not removed here, though idle: the pool is what remembers the backoff. Answering a long
        // queue above can outlast a short wait, and a pool forgotten then starts over at the
        // shortest wait on the next request: a down upstream was tried every 100 ms under load.
        // Idle pools are swept out when the loop holds many (LoopPool.keyPool).
    }

    void connectionDraining(UpstreamHandler c) {
        if (ready.remove(c)) {
            draining.add(c);
        }
        if (!pending.isEmpty()) {
            drainPending();
        }
    }

    /** The channel went inactive: take the connection out before its streams are closed. */
    void connectionClosing(UpstreamHandler c) {
        ready.remove(c);
        draining.remove(c);
    }

    /** A connection that had been ready is gone; its streams are answered or retried. */
    void connectionClosed(UpstreamHandler c) {
        metrics().connectionsOpen.decrementAndGet();
        drainPending();
        maybeRemove();
    }

    void streamClosed(UpstreamHandler c) {
        if (!pending.isEmpty()) {
            drainPending();
        }
    }

    /** Hard close: queued requests are answered SHUTTING_DOWN, connections closed at once. */
    void closeAll() {
        failPending(new UpstreamHandler.ConnectFailure(RelayError.SHUTTING_DOWN, "upstream pool closed"));
        for (UpstreamHandler c : new ArrayList<>(ready)) {
            c.closeNow();
        }
        for (UpstreamHandler c : new ArrayList<>(draining)) {
            c.closeNow();
        }
    }

    /** Graceful: every connection stops taking streams and closes once its streams are done. */
    void drainAll() {
        for (UpstreamHandler c : new ArrayList<>(ready)) {
            c.drain("relay draining");
        }
    }

    /** The channels of this key's connections, ready or draining. */
    List<Channel> channels() {
        List<Channel> out = new ArrayList<>();
        for (UpstreamHandler c : ready) {
            out.add(c.channel());
        }
        for (UpstreamHandler c : draining) {
            out.add(c.channel());
        }
        return out;
    }

    private void maybeRemove() {
        if (idle()) {
            loopPool.remove(this);
        }
    }

    /** Nothing open, opening, waiting, or backing off: the pool can be forgotten. */
    boolean idle() {
        return ready.isEmpty() && draining.isEmpty() && connecting == 0 && pending.isEmpty() && !backoff.active();
    }
}
