package io.pushrelay.core.observe.logging;

import static io.pushrelay.core.observe.logging.CapturedLogs.lines;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import io.pushrelay.core.config.LogSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The access log's queue: event-loop lines written by the writer thread in batches, drops counted, nothing lost on stop. */
class AsyncAccessAppenderTest {
    private final EventLoop loop = new DefaultEventLoop();
    private final LoggerContext context = new LoggerContext();

    AsyncAccessAppenderTest() {
        context.setName("async-access-test");
        context.setMDCAdapter(MDC.getMDCAdapter());
        context.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        context.stop();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }

    @Test
    void linesLoggedOnAnEventLoopShouldBeWrittenInOrderByTheWriterInFewWrites() throws Exception {
        RecordingStream out = new RecordingStream(null);
        AsyncAccessAppender appender = start(out, 1 << 12);
        Logger access = logger(appender);
        int count = 2000;
        loop.submit(() -> {
            for (int i = 0; i < count; i++) {
                access.info("line {}", i);
            }
        }).get(5, TimeUnit.SECONDS);
        assertTrue(appender.flush(5000));
        List<String> lines = lines(out.text());
        assertEquals(count, lines.size());
        for (int i = 0; i < count; i++) {
            assertEquals("line " + i, lines.get(i));
        }
        assertEquals(Set.of("access-log-writer"), out.writers);
        assertTrue(out.writes.get() < count / 4, "batched: " + out.writes.get() + " writes for " + count + " lines");
        assertEquals(0, appender.dropped());
    }

    @Test
    void linesFromOtherThreadsShouldBeWrittenBeforeTheCallReturns() {
        RecordingStream out = new RecordingStream(null);
        AsyncAccessAppender appender = start(out, 16);
        logger(appender).info("from the test thread");
        assertEquals("from the test thread\n", out.text());
        assertEquals(Set.of(Thread.currentThread().getName()), out.writers);
    }

    @Test
    void aFullQueueShouldDropWithoutWaitingCountAndReportIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        RecordingStream out = new RecordingStream(release);
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        // The operational log of the same context, where the writer reports drops.
        LogSetup.configure(context, LogSettings.DEFAULTS, ByteArrayOutputStream::new, () -> stderr);
        context.getLogger(LogSetup.ACCESS_LOGGER).detachAndStopAllAppenders();
        AsyncAccessAppender appender = start(out, 8);
        Logger access = logger(appender);
        loop.submit(() -> access.info("first")).get(5, TimeUnit.SECONDS);
        assertTrue(out.entered.await(5, TimeUnit.SECONDS), "the writer is stuck in the first write");
        long start = System.nanoTime();
        loop.submit(() -> {
            for (int i = 0; i < 100; i++) {
                access.info("queued {}", i);
            }
        }).get(5, TimeUnit.SECONDS);
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "the event loop did not wait");
        assertEquals(92, appender.dropped());
        release.countDown();
        assertTrue(appender.flush(5000));
        List<String> lines = lines(out.text());
        assertEquals(9, lines.size(), out.text());
        assertEquals("first", lines.get(0));
        assertEquals("queued 7", lines.get(8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!stderr.toString(StandardCharsets.UTF_8).contains("dropped") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        String err = stderr.toString(StandardCharsets.UTF_8);
        assertTrue(err.contains("WARN") && err.contains("access log: 92 line(s) dropped"), err);
    }

    @Test
    void stopShouldWriteEverythingStillQueued() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        RecordingStream out = new RecordingStream(release);
        AsyncAccessAppender appender = start(out, 1 << 10);
        Logger access = logger(appender);
        loop.submit(() -> {
            for (int i = 0; i < 300; i++) {
                access.info("line {}", i);
            }
        }).get(5, TimeUnit.SECONDS);
        assertTrue(out.entered.await(5, TimeUnit.SECONDS));
        release.countDown();
        appender.stop();
        assertFalse(appender.isStarted());
        assertFalse(appender.target().isStarted());
        assertEquals(300, lines(out.text()).size());
    }

    private AsyncAccessAppender start(OutputStream out, int capacity) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.setCharset(StandardCharsets.UTF_8);
        encoder.start();
        BatchingStreamAppender target = new BatchingStreamAppender();
        target.setContext(context);
        target.setEncoder(encoder);
        target.setOutputStream(out);
        target.start();
        AsyncAccessAppender appender = new AsyncAccessAppender(target, capacity);
        appender.setContext(context);
        appender.setName("access");
        appender.start();
        return appender;
    }

    private Logger logger(AsyncAccessAppender appender) {
        Logger access = context.getLogger(LogSetup.ACCESS_LOGGER);
        access.setAdditive(false);
        access.addAppender(appender);
        return access;
    }

    /** Records who writes how often; with a latch, the first write waits for it. */
    private static final class RecordingStream extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final Set<String> writers = ConcurrentHashMap.newKeySet();
        final AtomicInteger writes = new AtomicInteger();
        final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch release;

        RecordingStream(CountDownLatch release) {
            this.release = release;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            writers.add(Thread.currentThread().getName());
            writes.incrementAndGet();
            entered.countDown();
            if (release != null) {
                try {
                    if (!release.await(10, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("not released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            synchronized (bytes) {
                bytes.write(b, off, len);
            }
        }

        String text() {
            synchronized (bytes) {
                return bytes.toString(StandardCharsets.UTF_8);
            }
        }

        @Override
        public void flush() throws IOException {
        }
    }
}
