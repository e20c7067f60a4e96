package io.pushrelay.core.observe.logging;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * At most one log line per key and interval, for the lines a failing peer or a hostile network
 * can cause by the thousand a second (an upstream that is down answers every request 503; a
 * scanner fails a TLS handshake per connection). The first line of a key is logged at once;
 * the ones after it within the interval are counted, and the next line logged for that key says
 * how many it stands for ({@link #more}). The access log and the metrics still see every one.
 *
 * <p>A key is whatever tells one kind of line from another (status, reason, route; never a
 * client's address, or a scan from many addresses would never be held back). At most
 * {@code maxKeys} keys are kept; lines of further keys share one slot. Thread-safe, lock-free.
 */
public final class LogThrottle {
    /** What {@link #due} returns when the line is held back. */
    public static final long HOLD = -1;
    private static final int DEFAULT_MAX_KEYS = 1024;

    private final long intervalNanos;
    private final int maxKeys;
    private final LongSupplier clock;
    private final ConcurrentHashMap<Object, Slot> slots = new ConcurrentHashMap<>();
    private final Slot overflow;

    public LogThrottle(Duration interval) {
        this(interval, DEFAULT_MAX_KEYS, System::nanoTime);
    }

    LogThrottle(Duration interval, int maxKeys, LongSupplier clock) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, got " + interval);
        }
        this.intervalNanos = interval.toNanos();
        this.maxKeys = maxKeys;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.overflow = slot(clock.getAsLong(), interval);
    }

    /**
     * Whether a line of this key is to be logged now.
     *
     * @return {@link #HOLD} (the line is counted, not logged), or how many lines of the key were
     *     held back since the last one logged (0 for none)
     */
    public long due(Object key) {
        long now = clock.getAsLong();
        Slot slot = slots.get(key);
        if (slot == null) {
            slot = slots.size() < maxKeys ? slots.computeIfAbsent(key, k -> new Slot(now - intervalNanos)) : overflow;
        }
        return slot.due(now, intervalNanos);
    }

    /** A throttle of its own for one kind of line, for an owner that keeps it (a client's state). */
    public static Slot slot(long nowNanos, Duration interval) {
        return new Slot(nowNanos - interval.toNanos());
    }

    /** {@code " (N more like it since the last line)"}, or nothing when none were held back. */
    public static String more(long heldBack) {
        return heldBack <= 0 ? "" : " (" + heldBack + " more like it since the last line)";
    }

    /** One kind of line: when it was last logged, and how many were held back since. Thread-safe. */
    public static final class Slot {
        private final AtomicLong last;
        private final AtomicLong held = new AtomicLong();

        private Slot(long last) {
            this.last = new AtomicLong(last);
        }

        /** As {@link LogThrottle#due}, at {@code now} (nanoseconds on the caller's clock). */
        public long due(long now, long intervalNanos) {
            long before = last.get();
            if (now - before >= intervalNanos && last.compareAndSet(before, now)) {
                return held.getAndSet(0);
            }
            held.incrementAndGet();
            return HOLD;
        }
    }
}
