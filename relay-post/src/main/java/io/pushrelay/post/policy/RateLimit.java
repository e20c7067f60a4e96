package io.pushrelay.post.policy;

import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.observe.logging.LogThrottle;
import io.pushrelay.core.policy.AccessRule;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code limits.requests-per-second-per-client}: a token bucket per client, holding one second's
 * worth of requests (the burst) and refilled continuously at the rate; a request finding it
 * empty is answered 429 {@code RelayTooManyRequests}. A client is its verified certificate's
 * subject when the connection has one (every connection of that identity shares the bucket),
 * else its source address (every connection from it). CONNECT requests count like any.
 *
 * <p>Refusals log one WARN line per client and interval ({@value #LOG_INTERVAL_SECONDS} s) with
 * how many were refused since, so that a flood does not flood the log. Buckets of clients quiet
 * for a minute are dropped. Thread-safe: buckets lock themselves; the rate is replaced by
 * {@link #update}.
 */
public final class RateLimit implements AccessRule {
    private static final Logger LOG = LoggerFactory.getLogger(RateLimit.class);
    static final long LOG_INTERVAL_SECONDS = 10;
    private static final long IDLE_NANOS = TimeUnit.MINUTES.toNanos(1);
    private static final long SWEEP_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final long LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(LOG_INTERVAL_SECONDS);

    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final LongSupplier clock;
    private final AtomicLong nextSweep;
    private final LongAdder refused = new LongAdder();
    private volatile int perSecond;

    public RateLimit(int perSecond) {
        this(perSecond, System::nanoTime);
    }

    /** With a clock in nanoseconds (tests). */
    public RateLimit(int perSecond, LongSupplier clock) {
        this.clock = clock;
        this.nextSweep = new AtomicLong(clock.getAsLong() + SWEEP_NANOS);
        update(perSecond);
    }

    /** Replaces the rate (and burst) of every client from now on. */
    public void update(int newPerSecond) {
        if (newPerSecond < 1) {
            throw new IllegalArgumentException("requests per second must be at least 1, got " + newPerSecond);
        }
        this.perSecond = newPerSecond;
    }

    /** Requests refused so far. */
    public long refused() {
        return refused.sum();
    }

    /** Clients with a bucket now (for tests and diagnostics). */
    public int clients() {
        return buckets.size();
    }

    @Override
    public RelayError check(RelayRequest request, Downstream downstream) {
        long now = clock.getAsLong();
        sweep(now);
        String client = clientOf(downstream);
        Bucket bucket = buckets.computeIfAbsent(client, k -> new Bucket(now, perSecond));
        if (bucket.take(now, perSecond)) {
            return null;
        }
        refused.increment();
        long held = bucket.lines.due(now, LOG_INTERVAL_NANOS);
        if (held != LogThrottle.HOLD) {
            LOG.warn("client {} over {} requests/s: answering 429 RelayTooManyRequests{}", client, perSecond,
                    LogThrottle.more(held));
        }
        return RelayError.RATE_LIMITED;
    }

    /** Who a request's bucket belongs to: the certificate's subject, or the source address. */
    static String clientOf(Downstream downstream) {
        X509Certificate certificate = downstream.clientCertificate();
        if (certificate != null) {
            return "certificate " + certificate.getSubjectX500Principal().getName();
        }
        InetSocketAddress address = downstream.address();
        if (address == null) {
            return "-";
        }
        return address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
    }

    private void sweep(long now) {
        long due = nextSweep.get();
        if (now - due < 0 || !nextSweep.compareAndSet(due, now + SWEEP_NANOS)) {
            return;
        }
        buckets.values().removeIf(b -> b.idleSince(now) > IDLE_NANOS);
    }

    /** One client's tokens, and its refusal lines. */
    private static final class Bucket {
        final LogThrottle.Slot lines;
        private double tokens;
        private long last;

        Bucket(long now, int perSecond) {
            this.tokens = perSecond;
            this.last = now;
            this.lines = LogThrottle.slot(now, Duration.ofSeconds(LOG_INTERVAL_SECONDS));
        }

        /** Whether a token was taken (else the request is refused). */
        synchronized boolean take(long now, int perSecond) {
            tokens = Math.min(perSecond, tokens + (now - last) * (perSecond / 1e9));
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return true;
            }
            return false;
        }

        synchronized long idleSince(long now) {
            return now - last;
        }
    }
}
