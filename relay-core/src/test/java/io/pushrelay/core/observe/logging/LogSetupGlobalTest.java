package io.pushrelay.core.observe.logging;

import static io.pushrelay.core.observe.logging.CapturedLogs.lines;
import static io.pushrelay.core.observe.logging.LayoutTest.JSON;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import com.fasterxml.jackson.databind.JsonNode;
import io.pushrelay.core.config.AccessLog;
import io.pushrelay.core.config.LogFormat;
import io.pushrelay.core.config.LogLevel;
import io.pushrelay.core.config.LogSettings;
import io.pushrelay.core.testing.LeakFailingAppender;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public entry points on the context SLF4J is bound to, in this JVM, with System.out and
 * System.err captured; afterwards the test configuration ({@code logback-test.xml}, with its
 * leak-failing appender) is restored for the tests that follow.
 */
class LogSetupGlobalTest {

    @Test
    void configureShouldTakeOverTheBoundContextAndGiveItBackOnReset() throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        LogSettings settings = new LogSettings(LogFormat.JSON, AccessLog.STDOUT, LogLevel.INFO);
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream capturedOut = new ByteArrayOutputStream();
        ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(capturedOut, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(capturedErr, true, StandardCharsets.UTF_8));
            LogSetup.configure(settings);
            LogSetup.configure(settings);
            assertEquals(settings, LogSetup.current());
            assertFalse(LogSetup.reopen());
            LoggerFactory.getLogger("io.pushrelay.probe.global").info("global {}", "/3/device/" + Secrets.TOKEN);
            LoggerFactory.getLogger(LogSetup.ACCESS_LOGGER).info(LogSetupTest.LINE);
        } finally {
            System.setOut(out);
            System.setErr(err);
            context.reset();
            new ContextInitializer(context).autoConfig();
        }
        assertNull(LogSetup.current());
        assertInstanceOf(LeakFailingAppender.class, context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("LEAKS"),
                "logback-test.xml is back");

        List<JsonNode> probe = new ArrayList<>();
        for (String line : lines(capturedErr.toString(StandardCharsets.UTF_8))) {
            JsonNode event = JSON.readTree(line);
            if (event.get("logger").asText().equals("io.pushrelay.probe.global")) {
                probe.add(event);
            }
        }
        assertEquals(1, probe.size(), capturedErr.toString(StandardCharsets.UTF_8));
        assertEquals("global /3/device/" + Secrets.TOKEN_SHOWN, probe.get(0).get("msg").asText());
        List<String> access = lines(capturedOut.toString(StandardCharsets.UTF_8));
        assertEquals(1, access.size(), capturedOut.toString(StandardCharsets.UTF_8));
        assertEquals(LogSetupTest.LINE, JSON.readTree(access.get(0)).get("msg").asText());
        assertTrue(capturedErr.toString(StandardCharsets.UTF_8).indexOf(LogSetupTest.LINE) < 0, "access line kept off stderr");
    }
}
