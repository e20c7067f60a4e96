package io.pushrelay.core.observe.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.LayoutBase;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A batch written through a {@link LineLayout} (lines built in one buffer, encoded once) must be
 * byte for byte what the layout gives event by event: messages of one argument alone, of
 * several, of an array; characters to escape; a secret to redact; non-ASCII text.
 */
class BatchingStreamAppenderTest {
    private final LoggerContext context = new LoggerContext();

    BatchingStreamAppenderTest() {
        context.setMDCAdapter(new LogbackMDCAdapter());
    }

    private List<ILoggingEvent> events() {
        ch.qos.logback.classic.Logger logger = context.getLogger("io.pushrelay.probe");
        List<ILoggingEvent> events = new ArrayList<>();
        Object entry = new Object() {
            @Override
            public String toString() {
                return "127.0.0.1:4000 api.push.apple.com POST /3/device/abcdef… 200 é 日本";
            }
        };
        events.add(new LoggingEvent("x", logger, Level.INFO, "{}", null, new Object[] {entry}));
        events.add(new LoggingEvent("x", logger, Level.WARN, "{} and {}", null, new Object[] {"one", "two\nthree"}));
        events.add(new LoggingEvent("x", logger, Level.INFO, "{}", null, new Object[] {new int[] {1, 2}}));
        events.add(new LoggingEvent("x", logger, Level.INFO, "authorization: bearer {}", null,
                new Object[] {"eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJBQkMifQ.c2lnbmF0dXJl"}));
        events.add(new LoggingEvent("x", logger, Level.INFO, "no arguments, a tab\there", null, null));
        return events;
    }

    private String batch(LayoutBase<ILoggingEvent> layout, List<ILoggingEvent> events) throws IOException {
        layout.setContext(context);
        layout.start();
        LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
        encoder.setContext(context);
        encoder.setCharset(StandardCharsets.UTF_8);
        encoder.setLayout(layout);
        encoder.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BatchingStreamAppender appender = new BatchingStreamAppender();
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.setOutputStream(out);
        appender.start();
        appender.appendBatch(events);
        appender.stop();
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String oneByOne(LayoutBase<ILoggingEvent> layout, List<ILoggingEvent> events) {
        StringBuilder all = new StringBuilder();
        for (ILoggingEvent e : events) {
            all.append(layout.doLayout(e));
        }
        return all.toString();
    }

    @Test
    void textBatchShouldEqualTheLinesOneByOne() throws IOException {
        TextLayout text = new TextLayout();
        List<ILoggingEvent> events = events();
        String written = batch(text, events);
        assertEquals(oneByOne(text, events), written);
        assertEquals(5, written.split("\n").length, written);
        assertTrue(written.contains("- 127.0.0.1:4000 api.push.apple.com POST /3/device/abcdef… 200 é 日本\n"), written);
        assertTrue(written.contains("one and two\\nthree"), written);
        assertTrue(written.contains("- [1, 2]\n"), "an array argument is formatted as SLF4J does: " + written);
        assertFalse(written.contains("c2lnbmF0dXJl"), "the bearer token is redacted: " + written);
    }

    @Test
    void messageOnlyBatchShouldEqualTheLinesOneByOne() throws IOException {
        TextLayout access = new TextLayout();
        access.setMessageOnly(true);
        List<ILoggingEvent> events = events();
        String written = batch(access, events);
        assertEquals(oneByOne(access, events), written);
        assertTrue(written.startsWith("127.0.0.1:4000 api.push.apple.com POST /3/device/abcdef… 200 é 日本\n"), written);
    }

    @Test
    void jsonBatchShouldEqualTheLinesOneByOne() throws IOException {
        JsonLayout json = new JsonLayout();
        List<ILoggingEvent> events = events();
        String written = batch(json, events);
        assertEquals(oneByOne(json, events), written);
        assertEquals(5, written.split("\n").length, written);
    }
}
