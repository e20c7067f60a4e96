package io.pushrelay.pre.e2e;

import com.eatthepath.pushy.apns.ApnsClient;
import com.eatthepath.pushy.apns.PushNotificationResponse;
import com.eatthepath.pushy.apns.util.SimpleApnsPushNotification;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Sends a planned list of notifications through a Pushy {@link ApnsClient} with a window of
 * {@code inFlight} outstanding, and tallies every answer: accepted (with the digest of what was
 * sent, to compare with what the upstream received), rejected by {@code status reason},
 * failed (Pushy's future failed: no HTTP answer), and never answered within the deadline.
 */
public final class PushyLoad {
    private PushyLoad() {
    }

    /** What came back. */
    public static final class Result {
        public int sent;
        public int accepted;
        public int failed;
        public int unanswered;
        /** Never sent: the window stayed full until the deadline. */
        public int notSent;
        public int apnsIdMismatches;
        public int maxInFlight;
        public long elapsedMillis;
        /** "status reason" -> count, for rejections. */
        public final Map<String, Integer> rejected = new TreeMap<>();
        /** The first few failure messages. */
        public final List<String> failures = new ArrayList<>();
        /** apns-id (lower case) -> digest of what was sent, for every accepted notification. */
        public final Map<String, String> acceptedDigests = new ConcurrentHashMap<>();
        /** apns-id (lower case) of every notification that got an HTTP answer. */
        public final Map<String, Integer> answeredIds = new ConcurrentHashMap<>();

        public int rejectedTotal() {
            return rejected.values().stream().mapToInt(Integer::intValue).sum();
        }

        public double perSecond() {
            return elapsedMillis == 0 ? 0 : sent * 1000.0 / elapsedMillis;
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sent", sent);
            m.put("accepted", accepted);
            m.put("rejected", rejected);
            m.put("failed", failed);
            m.put("unanswered", unanswered);
            m.put("notSent", notSent);
            m.put("apnsIdMismatches", apnsIdMismatches);
            m.put("maxInFlight", maxInFlight);
            m.put("elapsedMillis", elapsedMillis);
            m.put("perSecond", Math.round(perSecond()));
            m.put("failures", failures);
            return m;
        }
    }

    /**
     * Sends {@code plan} and waits for every answer, for at most {@code deadlineSeconds} in all.
     * {@code progress} is told how many were answered so far, on each answer.
     */
    public static Result run(ApnsClient client, List<SimpleApnsPushNotification> plan, int inFlight,
                             long deadlineSeconds, IntConsumer progress) throws InterruptedException {
        Result result = new Result();
        Semaphore window = new Semaphore(inFlight);
        CountDownLatch done = new CountDownLatch(plan.size());
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger mismatches = new AtomicInteger();
        Map<String, AtomicInteger> rejected = new ConcurrentHashMap<>();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        int maxInFlight = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(deadlineSeconds);
        int sent = 0;
        for (SimpleApnsPushNotification n : plan) {
            if (!window.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                break; // answers stopped coming: what is in flight is counted unanswered
            }
            sent++;
            maxInFlight = Math.max(maxInFlight, inFlight - window.availablePermits());
            String id = n.getApnsId().toString().toLowerCase(java.util.Locale.ROOT);
            String digest = Notifications.digest(n);
            client.sendNotification(n).whenComplete((PushNotificationResponse<SimpleApnsPushNotification> r,
                                                     Throwable e) -> {
                try {
                    if (e != null) {
                        failed.incrementAndGet();
                        if (failures.size() < 10) {
                            failures.add(e.toString());
                        }
                        return;
                    }
                    result.answeredIds.merge(id, 1, Integer::sum);
                    if (r.getApnsId() == null || !r.getApnsId().toString().equalsIgnoreCase(id)) {
                        mismatches.incrementAndGet();
                    }
                    if (r.isAccepted()) {
                        accepted.incrementAndGet();
                        result.acceptedDigests.put(id, digest);
                    } else {
                        rejected.computeIfAbsent(r.getStatusCode() + " " + r.getRejectionReason().orElse("-"),
                                k -> new AtomicInteger()).incrementAndGet();
                    }
                } finally {
                    window.release();
                    done.countDown();
                    progress.accept(answered.incrementAndGet());
                }
            });
        }
        for (int i = sent; i < plan.size(); i++) {
            done.countDown();
        }
        done.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        result.elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        result.sent = sent;
        result.notSent = plan.size() - sent;
        result.accepted = accepted.get();
        result.failed = failed.get();
        result.unanswered = (int) done.getCount();
        result.apnsIdMismatches = mismatches.get();
        result.maxInFlight = maxInFlight;
        rejected.forEach((k, v) -> result.rejected.put(k, v.get()));
        synchronized (failures) {
            result.failures.addAll(failures);
        }
        return result;
    }
}
