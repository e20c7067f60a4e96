package io.pushrelay.core.upstream;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff after failed connects, with jitter, and the failure that started it (the
 * answer for requests that come while it lasts). Confined to the event loop of its pool.
 *
 * @param <F> how the pool describes a connect failure
 */
final class ConnectBackoff<F> {
    private final long minNanos;
    private final long maxNanos;
    private int failures;
    private long untilNanos;
    private F lastFailure;

    ConnectBackoff(Duration min, Duration max) {
        this.minNanos = min.toNanos();
        this.maxNanos = max.toNanos();
    }

    /** A connect failed: the next wait doubles (from the minimum, up to the maximum, less up to a fifth). */
    long failed(F failure) {
        failures++;
        long delay = Math.min(maxNanos, minNanos << Math.min(failures - 1, 30));
        if (delay <= 0) {
            delay = maxNanos;
        }
        delay -= ThreadLocalRandom.current().nextLong(delay / 5 + 1); // jitter, never above the max
        untilNanos = System.nanoTime() + delay;
        lastFailure = failure;
        return delay;
    }

    /** A connection was made: no backoff, no failure. */
    void reset() {
        failures = 0;
        lastFailure = null;
        untilNanos = 0;
    }

    /** The wait after the last failure is not over yet. */
    boolean active() {
        return System.nanoTime() - untilNanos < 0;
    }

    /** The failure that started the current backoff, or null after a success. */
    F lastFailure() {
        return lastFailure;
    }
}
