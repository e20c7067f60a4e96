package io.pushrelay.core.observe.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogThrottleTest {
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final LogThrottle throttle = new LogThrottle(Duration.ofSeconds(1), 2, clock::get);

    private void advanceMillis(long millis) {
        clock.addAndGet(TimeUnit.MILLISECONDS.toNanos(millis));
    }

    @Test
    void theFirstLineOfAKeyGoesAtOnceAndTheNextOnesWaitForTheInterval() {
        assertEquals(0, throttle.due("503 api"));
        assertEquals(LogThrottle.HOLD, throttle.due("503 api"));
        advanceMillis(500);
        assertEquals(LogThrottle.HOLD, throttle.due("503 api"));
        advanceMillis(500);
        assertEquals(2, throttle.due("503 api"), "the line says how many it stands for");
        advanceMillis(5_000);
        assertEquals(0, throttle.due("503 api"));
    }

    @Test
    void keysAreHeldBackApart() {
        assertEquals(0, throttle.due("a"));
        assertEquals(0, throttle.due("b"));
        assertEquals(LogThrottle.HOLD, throttle.due("a"));
        assertEquals(LogThrottle.HOLD, throttle.due("b"));
    }

    @Test
    void keysBeyondTheMostKeptShareOneSlot() {
        throttle.due("a");
        throttle.due("b");
        assertEquals(0, throttle.due("c"));
        assertEquals(LogThrottle.HOLD, throttle.due("d"), "c and d share the overflow slot");
        advanceMillis(1_000);
        assertEquals(1, throttle.due("e"));
    }

    @Test
    void moreShouldSayNothingWhenNoneWereHeldBack() {
        assertEquals("", LogThrottle.more(0));
        assertEquals(" (41 more like it since the last line)", LogThrottle.more(41));
    }

    @Test
    void aZeroIntervalIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new LogThrottle(Duration.ZERO));
    }
}
