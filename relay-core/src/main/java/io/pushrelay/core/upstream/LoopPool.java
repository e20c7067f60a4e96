package io.pushrelay.core.upstream;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.util.concurrent.ScheduledFuture;
import io.pushrelay.core.connect.ClientIdentity;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.policy.Route;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The part of an {@link UpstreamPool} that lives on one event loop: its key pools, and the
 * teams read from recent provider tokens. A request sent from this loop is written on a
 * connection of this loop, without a thread hop. Confined to {@link #loop()}.
 */
final class LoopPool implements LoopPoolUpstream.LoopPart {
    private static final int TEAM_CACHE_SIZE = 256;
    /** Key pools a loop holds before a new one first sweeps out the idle ones. */
    static final int SWEEP_ABOVE = 256;

    private final UpstreamPool pool;
    private final EventLoop loop;
    private final Map<PoolKey, KeyPool> keys = new HashMap<>();
    private int sweepAt = SWEEP_ABOVE;
    private final long timeoutNanos;
    private Exchange watchedHead;
    private Exchange watchedTail;
    private ScheduledFuture<?> timeoutCheck;
    private final String certIdentity;
    private final Map<String, String> teams = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > TEAM_CACHE_SIZE;
        }
    };

    LoopPool(UpstreamPool pool, EventLoop loop) {
        this.pool = pool;
        this.loop = loop;
        this.timeoutNanos = pool.config().requestTimeout().toNanos();
        this.certIdentity = pool.connector().config().clientCert()
                .map(ClientIdentity::fingerprint).map(f -> "cert:" + f.substring(0, 16)).orElse("");
    }

    @Override
    public EventLoop loop() {
        return loop;
    }

    Connector connector() {
        return pool.connector();
    }

    Metrics metrics() {
        return pool.metrics();
    }

    boolean closed() {
        return pool.isClosed();
    }

    String nextConnectionId() {
        return pool.nextConnectionId();
    }

    @Override
    public void send(Route route, RelayRequest request, ResponseSink sink) {
        PoolKey key = new PoolKey(route.host(), route.port(), route.authority(), identityOf(request));
        KeyPool keyPool = keyPool(key, route);
        Exchange ex = new Exchange(route, request, sink, keyPool);
        if (closed()) {
            ex.fail(RelayError.SHUTTING_DOWN, "upstream pool closed");
            return;
        }
        watch(ex);
        keyPool.dispatch(ex, false);
    }

    // ---- request timeouts ------------------------------------------------------------------
    // Every exchange of this loop has the same timeout, so deadlines come in the order of send:
    // a FIFO list (O(1) to add and to remove) and one timer for its head, instead of a scheduled
    // task per request in the loop's priority queue.

    private void watch(Exchange ex) {
        ex.deadlineNanos = System.nanoTime() + timeoutNanos;
        ex.watched = true;
        ex.prevWatched = watchedTail;
        ex.nextWatched = null;
        if (watchedTail == null) {
            watchedHead = ex;
        } else {
            watchedTail.nextWatched = ex;
        }
        watchedTail = ex;
        if (timeoutCheck == null) {
            scheduleTimeoutCheck(ex.deadlineNanos);
        }
    }

    /** The exchange is answered (or timed out): no timeout for it any more. */
    void unwatch(Exchange ex) {
        if (!ex.watched) {
            return;
        }
        ex.watched = false;
        Exchange prev = ex.prevWatched;
        Exchange next = ex.nextWatched;
        if (prev == null) {
            watchedHead = next;
        } else {
            prev.nextWatched = next;
        }
        if (next == null) {
            watchedTail = prev;
        } else {
            next.prevWatched = prev;
        }
        ex.prevWatched = null;
        ex.nextWatched = null;
    }

    private void scheduleTimeoutCheck(long atNanos) {
        timeoutCheck = loop.schedule(this::checkTimeouts, Math.max(0, atNanos - System.nanoTime()),
                TimeUnit.NANOSECONDS);
    }

    private void checkTimeouts() {
        timeoutCheck = null;
        long now = System.nanoTime();
        Exchange ex;
        while ((ex = watchedHead) != null && now - ex.deadlineNanos >= 0) {
            unwatch(ex);
            ex.pool.timedOut(ex);
        }
        if (watchedHead != null && timeoutCheck == null) {
            scheduleTimeoutCheck(watchedHead.deadlineNanos);
        }
    }

    KeyPool keyPool(PoolKey key, Route route) {
        KeyPool keyPool = keys.get(key);
        if (keyPool == null) {
            if (keys.size() >= sweepAt) {
                sweepIdle();
                sweepAt = Math.max(SWEEP_ABOVE, 2 * keys.size());
            }
            keyPool = new KeyPool(this, key, route, pool.config());
            keys.put(key, keyPool);
        }
        return keyPool;
    }

    /**
     * Forgets the key pools with nothing open, waiting or backing off. A pool stays after a
     * failed connect, to keep its backoff; a sender going through many identities (teams,
     * certificates) while the upstream is down must not grow the map without bound.
     */
    private void sweepIdle() {
        for (Iterator<KeyPool> it = keys.values().iterator(); it.hasNext(); ) {
            KeyPool keyPool = it.next();
            if (keyPool.idle()) {
                it.remove();
                keyPool.markRemoved();
            }
        }
    }

    /** Key pools held now. */
    int keyPoolCount() {
        return keys.size();
    }

    void remove(KeyPool keyPool) {
        if (keys.get(keyPool.key()) == keyPool) {
            keys.remove(keyPool.key());
            keyPool.markRemoved();
        }
    }

    void exchangeDone(RelayError error) {
        pool.exchangeDone(error);
    }

    @Override
    public void closeAll() {
        for (KeyPool keyPool : new ArrayList<>(keys.values())) {
            keyPool.closeAll();
        }
    }

    @Override
    public void drainAll() {
        for (KeyPool keyPool : new ArrayList<>(keys.values())) {
            keyPool.drainAll();
        }
    }

    @Override
    public List<Channel> channels() {
        List<Channel> out = new ArrayList<>();
        for (KeyPool keyPool : keys.values()) {
            out.addAll(keyPool.channels());
        }
        return out;
    }

    /** The client identity the request's connection must carry: the pool's certificate and the token's team. */
    private String identityOf(RelayRequest request) {
        CharSequence authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        String team = TeamIds.NONE;
        if (authorization != null) {
            String value = authorization.toString();
            team = teams.get(value);
            if (team == null) {
                team = TeamIds.identityOf(value);
                teams.put(value, team);
            }
        }
        if (certIdentity.isEmpty()) {
            return team;
        }
        return team.isEmpty() ? certIdentity : certIdentity + " " + team;
    }
}
