package io.pushrelay.core.observe.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.List;

/**
 * An {@link OutputStreamAppender} that can also write many events at once: {@link #appendBatch}
 * encodes them into one buffer and hands the stream one {@code write} and one {@code flush},
 * so a burst of access-log lines costs one system call instead of one per line. Single events
 * ({@link #doAppend}) are written and flushed as usual.
 *
 * <p>Thread-safe: a batch is written under the appender's stream lock, so it never interleaves
 * with a single event or with a stream swap; each line stays whole.
 */
public class BatchingStreamAppender extends OutputStreamAppender<ILoggingEvent> {
    private static final int INITIAL_BUFFER = 16 << 10;

    /** Encodes {@code events} and writes them with one write and one flush; filters are not consulted. */
    public void appendBatch(List<ILoggingEvent> events) {
        if (!isStarted() || events.isEmpty()) {
            return;
        }
        byte[] buffer = new byte[INITIAL_BUFFER];
        int length = 0;
        for (ILoggingEvent event : events) {
            byte[] bytes;
            try {
                bytes = encoder.encode(event);
            } catch (RuntimeException e) {
                addError("failed to encode an event of " + event.getLoggerName(), e);
                continue;
            }
            if (bytes == null || bytes.length == 0) {
                continue;
            }
            if (length + bytes.length > buffer.length) {
                buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + bytes.length));
            }
            System.arraycopy(bytes, 0, buffer, length, bytes.length);
            length += bytes.length;
        }
        if (length == 0) {
            return;
        }
        streamWriteLock.lock();
        try {
            if (isStarted()) {
                OutputStream out = getOutputStream();
                out.write(buffer, 0, length);
                out.flush();
            }
        } catch (IOException e) {
            addError("IO failure in appender " + getName(), e);
        } finally {
            streamWriteLock.unlock();
        }
    }
}
