package io.pushrelay.core.observe.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.netty.util.internal.PlatformDependent;
import io.netty.util.internal.ThreadExecutorMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The access log's appender: events logged on a Netty event loop are queued and written by a
 * thread of their own, in batches ({@link BatchingStreamAppender#appendBatch}: one
 * {@code write} and one flush per burst), so an event loop never formats, redacts, encodes or
 * waits on the output for an access-log line. Events from any other thread are written at once,
 * in that thread (nothing on them is latency-critical, and callers such as tests see the line
 * as soon as the call returns).
 *
 * <p>The writer looks at the queue every 5 ms (and is woken early once it is a quarter full), so
 * a line reaches the output within a few milliseconds, and logging costs an event loop no system
 * call. The queue is bounded ({@code capacity} events). When it is full (the output cannot keep
 * up) the event is dropped, never waited for: {@link #dropped()} counts them, and the writer
 * reports them on the operational log (WARN) when it next catches up, then at most every
 * {@value #DROP_REPORT_SECONDS} seconds.
 *
 * <p>What an event carries is fixed when it is queued (time, thread name, MDC, arguments);
 * its message is formatted by the writer, so an argument's {@code toString()} must not depend
 * on state that changes later ({@link io.pushrelay.core.observe.AccessLog} passes an immutable
 * entry).
 *
 * <p>{@link #stop()} writes what is queued, then stops the target; a JVM shutdown does the same
 * (shutdown hook), so lines answered just before exit are not lost. Thread-safe.
 */
public final class AsyncAccessAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
    /** Events the queue holds by default: a few seconds of peak traffic. */
    public static final int DEFAULT_CAPACITY = 1 << 16;
    static final int DROP_REPORT_SECONDS = 10;
    private static final int MAX_BATCH = 1024;
    /** How long the writer sleeps when the queue is empty: the most a line waits (unless the queue fills). */
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final BatchingStreamAppender target;
    private final int capacity;
    private final int wakeThreshold;
    private final Queue<ILoggingEvent> queue;
    private final LongAdder dropped = new LongAdder();
    private volatile boolean writerParked;
    private volatile boolean writing;
    private volatile boolean closing;
    private Thread writer;
    private Thread shutdownHook;

    /** Queues for {@code target}, which this appender starts with itself and stops with itself. */
    public AsyncAccessAppender(BatchingStreamAppender target, int capacity) {
        this.target = Objects.requireNonNull(target, "target");
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.capacity = capacity;
        this.wakeThreshold = Math.max(1, capacity / 4);
        this.queue = PlatformDependent.newFixedMpscQueue(capacity);
    }

    /** The appender that writes. */
    public BatchingStreamAppender target() {
        return target;
    }

    /** Events dropped because the queue was full, since this appender was made. */
    public long dropped() {
        return dropped.sum();
    }

    @Override
    public void start() {
        if (isStarted()) {
            return;
        }
        if (!target.isStarted()) {
            target.start();
        }
        closing = false;
        writer = new Thread(this::writeLoop, "access-log-writer");
        writer.setDaemon(true);
        writer.start();
        shutdownHook = new Thread(this::drainAndStopWriter, "access-log-flush");
        try {
            Runtime.getRuntime().addShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            shutdownHook = null; // already shutting down
        }
        super.start();
    }

    @Override
    public void stop() {
        if (!isStarted()) {
            return;
        }
        super.stop();
        drainAndStopWriter();
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // Shutting down: the hook runs (or ran) the same drain.
            }
            shutdownHook = null;
        }
        target.stop();
    }

    @Override
    protected void append(ILoggingEvent event) {
        if (ThreadExecutorMap.currentExecutor() == null || closing) {
            target.doAppend(event);
            return;
        }
        // Pin what belongs to the logging thread now; the message itself is formatted by the writer.
        event.getThreadName();
        event.getMDCPropertyMap();
        if (!queue.offer(event)) {
            dropped.increment();
            return;
        }
        // The writer wakes by itself every few milliseconds; waking it per line would cost the event
        // loop a system call and the machine a context switch per request. Only a filling queue wakes it.
        if (writerParked && queue.size() >= wakeThreshold) {
            LockSupport.unpark(writer);
        }
    }

    /**
     * Waits until every event queued before this call has been written, up to {@code timeoutMillis}.
     *
     * @return true when the queue was drained in time
     */
    public boolean flush(long timeoutMillis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!queue.isEmpty() || writing) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            LockSupport.unpark(writer);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return true;
    }

    private void drainAndStopWriter() {
        closing = true;
        Thread w = writer;
        if (w != null && w != Thread.currentThread()) {
            LockSupport.unpark(w);
            try {
                w.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // Whatever raced in after the writer's last look.
        writeAll();
    }

    private void writeLoop() {
        long lastReported = 0;
        long nextReportNanos = System.nanoTime();
        List<ILoggingEvent> batch = new ArrayList<>(MAX_BATCH);
        while (true) {
            writing = true;
            ILoggingEvent event;
            while (batch.size() < MAX_BATCH && (event = queue.poll()) != null) {
                batch.add(event);
            }
            if (!batch.isEmpty()) {
                target.appendBatch(batch);
                batch.clear();
                continue;
            }
            writing = false;
            long now = System.nanoTime();
            long total = dropped.sum();
            if (total > lastReported && now - nextReportNanos >= 0) {
                reportDrops(total - lastReported, total);
                lastReported = total;
                nextReportNanos = now + TimeUnit.SECONDS.toNanos(DROP_REPORT_SECONDS);
            }
            if (closing) {
                return;
            }
            writerParked = true;
            if (queue.isEmpty()) {
                LockSupport.parkNanos(this, IDLE_PARK_NANOS);
            }
            writerParked = false;
        }
    }

    private void writeAll() {
        List<ILoggingEvent> batch = new ArrayList<>();
        ILoggingEvent event;
        while ((event = queue.poll()) != null) {
            batch.add(event);
        }
        target.appendBatch(batch);
    }

    private void reportDrops(long now, long total) {
        if (getContext() instanceof LoggerContext context) {
            context.getLogger(AsyncAccessAppender.class).warn(
                    "access log: {} line(s) dropped ({} in all): the output does not keep up and the queue of {} "
                            + "lines was full", now, total, capacity);
        }
    }
}
