package io.pushrelay.core.observe.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.List;
import org.slf4j.Marker;

/**
 * Denies every event of Netty's wire loggers, which write frame and buffer contents (push
 * payloads, HPACK-decoded headers) as hex: {@code io.netty.handler.logging.LoggingHandler}
 * (and loggers under it) and {@code io.netty.handler.codec.http2.Http2FrameLogger}. Payloads
 * are never logged, so these are off at every level, DEBUG and TRACE included; their
 * {@code isDebugEnabled()} answers false, so they do not even format. A wire logger given a
 * logger name of its own is not recognised.
 *
 * <p>Stateless and thread-safe; installed by {@link LogSetup} and by the default
 * {@code logback.xml}.
 */
public final class PayloadDumpFilter extends TurboFilter {
    /** Names of the denied loggers; a logger whose name starts with one of them followed by a dot is denied too. */
    public static final List<String> DENIED_LOGGERS = List.of(
            "io.netty.handler.logging.LoggingHandler",
            "io.netty.handler.codec.http2.Http2FrameLogger");

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (logger == null) {
            return FilterReply.NEUTRAL;
        }
        String name = logger.getName();
        for (String denied : DENIED_LOGGERS) {
            if (name.startsWith(denied)
                    && (name.length() == denied.length() || name.charAt(denied.length()) == '.')) {
                return FilterReply.DENY;
            }
        }
        return FilterReply.NEUTRAL;
    }
}
