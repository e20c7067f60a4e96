package io.pushrelay.core.upstream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.forward.ResponseSink;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Records every answer the pool gives, by request id, and how often each request was answered;
 * bounds the requests in flight. Releases every response body it receives.
 */
final class ResponseLog {
    /** One answer, copied out of the response. */
    record Answer(String id, int status, RelayError error, String connection, String apnsId, String body,
                  Thread thread, long elapsedNanos) {
    }

    final Map<String, Answer> answers = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final Semaphore inFlight;
    private final AtomicInteger total = new AtomicInteger();

    ResponseLog(int maxInFlight) {
        this.inFlight = new Semaphore(maxInFlight);
    }

    /** Waits for room for one more request in flight (fails the test after 20 s: something hangs). */
    void acquire() {
        try {
            if (!inFlight.tryAcquire(20, TimeUnit.SECONDS)) {
                fail("no answer for 20 s; answered so far: " + total.get());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(e);
        }
    }

    ResponseSink sink(String id) {
        long start = System.nanoTime();
        return response -> {
            try {
                String body = response.body().toString(StandardCharsets.UTF_8);
                CharSequence apnsId = response.headers().get("apns-id");
                Answer answer = new Answer(id, response.status(), response.error(), response.upstreamConnection(),
                        apnsId == null ? null : apnsId.toString(), body, Thread.currentThread(),
                        System.nanoTime() - start);
                if (counts.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet() == 1) {
                    answers.put(id, answer);
                }
            } finally {
                response.release();
                total.incrementAndGet();
                inFlight.release();
            }
        };
    }

    /** Waits until {@code n} answers arrived. */
    void awaitAnswers(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (total.get() < n && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail(e);
            }
        }
        assertTrue(total.get() >= n, "answers: " + total.get() + " of " + n + " within " + timeout);
    }

    int total() {
        return total.get();
    }

    /** Requests answered more than once. */
    long duplicates() {
        return counts.values().stream().filter(c -> c.get() > 1).count();
    }

    Map<Object, Long> byOutcome() {
        return answers.values().stream().collect(Collectors.groupingBy(
                a -> a.error() != null ? a.error() : (Object) a.status(), Collectors.counting()));
    }
}
