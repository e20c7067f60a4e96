package io.pushrelay.core.observe.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.pushrelay.core.config.LogSettings;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.MDC;

/**
 * A Logback context of its own (never the one SLF4J is bound to, so the test configuration and
 * its leak appender stay untouched) configured by {@link LogSetup} with captured stdout and
 * stderr.
 */
final class CapturedLogs implements AutoCloseable {
    final LoggerContext context = new LoggerContext();
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    CapturedLogs(LogSettings settings) {
        context.setName("captured");
        context.setMDCAdapter(MDC.getMDCAdapter());
        context.start();
        configure(settings);
    }

    void configure(LogSettings settings) {
        LogSetup.configure(context, settings, () -> stdout, () -> stderr);
    }

    Logger logger(String name) {
        return context.getLogger(name);
    }

    Logger access() {
        return context.getLogger(LogSetup.ACCESS_LOGGER);
    }

    String out() {
        return stdout.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return stderr.toString(StandardCharsets.UTF_8);
    }

    /** The lines of {@code text}, which must end with a line break unless empty. */
    static List<String> lines(String text) {
        if (text.isEmpty()) {
            return List.of();
        }
        if (!text.endsWith("\n")) {
            throw new AssertionError("last line not terminated: " + text);
        }
        return List.of(text.substring(0, text.length() - 1).split("\n", -1));
    }

    @Override
    public void close() {
        context.stop();
    }
}
