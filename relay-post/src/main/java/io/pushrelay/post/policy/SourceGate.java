package io.pushrelay.post.policy;

import io.pushrelay.core.config.Cidr;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.listener.ConnectionGate;
import io.pushrelay.core.observe.logging.LogThrottle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * relay-post's gate at accept: {@code allow-sources} and
 * {@code limits.max-connections-per-client} (a client is one source address). A connection from
 * outside the ranges, or one more than a client may hold, is closed before a byte is read: no
 * TLS handshake (the relay's certificate is not even shown to a stranger), nothing parsed, no
 * HTTP answer; the gate logs one WARN line (at most one per kind and
 * {@value #LOG_INTERVAL_SECONDS} s, with the count of those not logged) and counts it.
 *
 * <p>Refusing at accept rather than answering 403 to the first request is deliberate: the
 * sources are a network-level fence, and a fence that first completes a TLS handshake and parses
 * HTTP from anyone gives strangers CPU and parser surface for free.
 *
 * <p>Thread-safe: called from every event loop; settings are replaced as a whole by
 * {@link #update} (reload), connection counts survive it.
 */
public final class SourceGate implements ConnectionGate {
    private static final Logger LOG = LoggerFactory.getLogger(SourceGate.class);
    static final long LOG_INTERVAL_SECONDS = 10;

    private record Settings(List<Cidr> sources, int maxPerClient) {
    }

    private volatile Settings settings;
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();
    private final LongAdder sourceRefused = new LongAdder();
    private final LongAdder limitRefused = new LongAdder();
    private final LogThrottle warnings = new LogThrottle(Duration.ofSeconds(LOG_INTERVAL_SECONDS));

    public SourceGate(List<Cidr> sources, int maxConnectionsPerClient) {
        update(sources, maxConnectionsPerClient);
    }

    /** Replaces the ranges and the per-client limit; connections already open stay. */
    public void update(List<Cidr> sources, int maxConnectionsPerClient) {
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("no source range: nobody could connect");
        }
        if (maxConnectionsPerClient < 1) {
            throw new IllegalArgumentException("max connections per client must be at least 1");
        }
        settings = new Settings(List.copyOf(sources), maxConnectionsPerClient);
    }

    /** Connections closed at accept because their source is outside {@code allow-sources}. */
    public long sourceRefused() {
        return sourceRefused.sum();
    }

    /** Connections closed at accept because their client had {@code max-connections-per-client} open. */
    public long limitRefused() {
        return limitRefused.sum();
    }

    /** Connections open now from {@code address}. */
    public int openFrom(InetAddress address) {
        Integer n = open.get(address);
        return n == null ? 0 : n;
    }

    @Override
    public boolean admit(InetSocketAddress remote) {
        Settings s = settings;
        InetAddress address = remote == null ? null : remote.getAddress();
        if (address == null || !allowed(s.sources, address)) {
            sourceRefused.increment();
            long unlogged = warnings.due("source");
            if (unlogged >= 0) {
                LOG.warn("refused {} at accept: source not in allow-sources ({}){}", Downstream.format(remote),
                        s.sources.stream().map(Cidr::toString).collect(Collectors.joining(", ")), LogThrottle.more(unlogged));
            }
            return false;
        }
        boolean[] over = new boolean[1];
        open.compute(address, (a, n) -> {
            int next = n == null ? 1 : n + 1;
            over[0] = next > s.maxPerClient;
            return over[0] ? n : Integer.valueOf(next);
        });
        if (over[0]) {
            limitRefused.increment();
            long unlogged = warnings.due("limit");
            if (unlogged >= 0) {
                LOG.warn("refused {} at accept: {} has max-connections-per-client ({}) open{}",
                        Downstream.format(remote), address.getHostAddress(), s.maxPerClient, LogThrottle.more(unlogged));
            }
            return false;
        }
        return true;
    }

    @Override
    public void closed(InetSocketAddress remote) {
        InetAddress address = remote == null ? null : remote.getAddress();
        if (address != null) {
            // The entry goes with the last connection, so the map holds only clients connected now.
            open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
        }
    }

    private static boolean allowed(List<Cidr> sources, InetAddress address) {
        for (Cidr c : sources) {
            if (c.contains(address)) {
                return true;
            }
        }
        return false;
    }
}
