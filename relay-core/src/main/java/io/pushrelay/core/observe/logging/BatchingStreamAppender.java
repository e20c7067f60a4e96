package io.pushrelay.core.observe.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * An {@link OutputStreamAppender} that can also write many events at once: {@link #appendBatch}
 * encodes them into one buffer (with a {@link LineLayout}, the lines are written straight into
 * it and encoded once) and hands the stream one {@code write} and one {@code flush},
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
        LineLayout lines = lineLayout();
        if (lines != null) {
            byte[] bytes = encodeLines(lines, events);
            write(bytes, bytes.length);
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
        write(buffer, length);
    }

    /** The layout, when it can write lines into one buffer and the encoding is UTF-8; else null. */
    private LineLayout lineLayout() {
        if (encoder instanceof LayoutWrappingEncoder<ILoggingEvent> wrapping
                && wrapping.getLayout() instanceof LineLayout lines
                && StandardCharsets.UTF_8.equals(wrapping.getCharset())) {
            return lines;
        }
        return null;
    }

    /** Every event's line in one buffer, encoded once: no String or byte[] per line. */
    private byte[] encodeLines(LineLayout lines, List<ILoggingEvent> events) {
        StringBuilder text = new StringBuilder(events.size() * 192);
        for (ILoggingEvent event : events) {
            int mark = text.length();
            try {
                lines.appendTo(text, event);
            } catch (RuntimeException e) {
                text.setLength(mark);
                addError("failed to encode an event of " + event.getLoggerName(), e);
            }
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private void write(byte[] bytes, int length) {
        if (length == 0) {
            return;
        }
        streamWriteLock.lock();
        try {
            if (isStarted()) {
                OutputStream out = getOutputStream();
                out.write(bytes, 0, length);
                out.flush();
            }
        } catch (IOException e) {
            addError("IO failure in appender " + getName(), e);
        } finally {
            streamWriteLock.unlock();
        }
    }
}
