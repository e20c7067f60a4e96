package io.pushrelay.core.sim;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The connections of one simulator: every open one, and the most recent closed ones (so that a
 * test can still read what a finished connection did). Thread-safe.
 */
final class ConnectionRegistry {
    /** Closed connections kept for snapshots. */
    static final int CLOSED_KEPT = 256;

    private final String prefix;
    private final AtomicLong ids = new AtomicLong();
    private final Map<String, SimConnection> open = new ConcurrentHashMap<>();
    private final Deque<SimConnection> closed = new ArrayDeque<>();
    final LongAdder handshakeFailures = new LongAdder();

    ConnectionRegistry(String prefix) {
        this.prefix = prefix;
    }

    /** Registers a new connection; it moves to the closed list when the channel closes. */
    SimConnection open(Channel ch) {
        SimConnection connection = new SimConnection(prefix + "-" + ids.incrementAndGet(),
                ch.remoteAddress() instanceof InetSocketAddress remote ? remote : null, ch);
        open.put(connection.id, connection);
        ch.closeFuture().addListener(f -> {
            connection.open = false;
            // Moved under the lock that stats() holds, so a snapshot never misses it in between.
            synchronized (closed) {
                open.remove(connection.id);
                closed.addLast(connection);
                if (closed.size() > CLOSED_KEPT) {
                    closed.removeFirst();
                }
            }
        });
        return connection;
    }

    /** The open connections, in no particular order. */
    List<SimConnection> openConnections() {
        return new ArrayList<>(open.values());
    }

    long opened() {
        return ids.get();
    }

    int openCount() {
        return open.size();
    }

    /** Closed ones first (oldest first), then the open ones. */
    List<ConnectionStats> stats() {
        List<ConnectionStats> out = new ArrayList<>();
        synchronized (closed) {
            for (SimConnection c : closed) {
                out.add(c.stats());
            }
            open.values().stream().sorted((a, b) -> Long.compare(idNumber(a.id), idNumber(b.id)))
                    .forEach(c -> out.add(c.stats()));
        }
        return out;
    }

    private static long idNumber(String id) {
        return Long.parseLong(id.substring(id.lastIndexOf('-') + 1));
    }
}
