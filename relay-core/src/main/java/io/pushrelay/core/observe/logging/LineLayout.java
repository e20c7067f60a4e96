package io.pushrelay.core.observe.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * A layout that can write an event's line straight into a buffer, so that a batch of lines
 * ({@link BatchingStreamAppender#appendBatch}) is built in one buffer and encoded once, instead
 * of a {@code String} and a {@code byte[]} per line.
 */
interface LineLayout {
    /** Appends what {@code doLayout(event)} returns, line break included. */
    void appendTo(StringBuilder out, ILoggingEvent event);
}
