package io.pushrelay.core.observe.logging;

import static io.pushrelay.core.observe.logging.CapturedLogs.lines;
import static io.pushrelay.core.observe.logging.LayoutTest.JSON;
import static io.pushrelay.core.observe.logging.LayoutTest.messages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import com.fasterxml.jackson.databind.JsonNode;
import io.pushrelay.core.config.AccessLog;
import io.pushrelay.core.config.LogFormat;
import io.pushrelay.core.config.LogLevel;
import io.pushrelay.core.config.LogSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Targets, levels, reconfiguration and file reopening, on a private Logback context with captured streams. */
class LogSetupTest {
    static final String LINE = "2026-11-26T03:12:01.123Z 127.0.0.1:50412 api.push.apple.com POST /3/device/abcdef… 200"
            + " apns-id=0a1b2c3d-0000-4000-8000-000000000001 up=u3 flag=- 3.2ms";

    @TempDir
    Path dir;

    @Test
    void accessLogShouldGoToStdoutAsBareLinesAndOperationalLogToStderr() {
        try (CapturedLogs logs = new CapturedLogs(LogSettings.DEFAULTS)) {
            logs.access().atInfo().addKeyValue("status", 200).log(LINE);
            logs.logger("io.pushrelay.probe").info("operational");
            assertEquals(LINE + "\n", logs.out());
            assertEquals(List.of("operational"), messages(lines(logs.err())));
        }
    }

    @Test
    void jsonAccessLogShouldCarryItsKeyValuePairs() throws IOException {
        try (CapturedLogs logs = new CapturedLogs(new LogSettings(LogFormat.JSON, AccessLog.STDOUT, LogLevel.INFO))) {
            logs.access().atInfo().addKeyValue("status", 200).addKeyValue("flag", "-").log(LINE);
            List<String> lines = lines(logs.out());
            assertEquals(1, lines.size(), logs.out());
            JsonNode event = JSON.readTree(lines.get(0));
            assertEquals(LogSetup.ACCESS_LOGGER, event.get("logger").asText());
            assertEquals("INFO", event.get("level").asText());
            assertEquals(LINE, event.get("msg").asText());
            assertEquals(200, event.get("status").intValue());
            assertEquals("-", event.get("flag").asText());
            assertEquals("", logs.err());
        }
    }

    @Test
    void accessLogOffShouldWriteNothingAndReportDisabled() {
        try (CapturedLogs logs = new CapturedLogs(new LogSettings(LogFormat.TEXT, AccessLog.OFF, LogLevel.DEBUG))) {
            assertFalse(logs.access().isInfoEnabled());
            logs.access().info(LINE);
            logs.logger("io.pushrelay.probe").debug("operational");
            assertEquals("", logs.out());
            assertEquals(List.of("operational"), messages(lines(logs.err())));
            assertFalse(LogSetup.reopen(logs.context));
        }
    }

    @Test
    void accessLogShouldBeWrittenWhateverTheOperationalLevel() {
        try (CapturedLogs logs = new CapturedLogs(new LogSettings(LogFormat.TEXT, AccessLog.STDOUT, LogLevel.ERROR))) {
            logs.access().info(LINE);
            logs.logger("io.pushrelay.probe").warn("not at error");
            logs.logger("io.pushrelay.probe").error("at error");
            assertEquals(LINE + "\n", logs.out());
            assertEquals(List.of("at error"), messages(lines(logs.err())));
        }
    }

    @Test
    void levelShouldApplyToRootAndNettyShouldStayAtWarnOnlyAtInfo() {
        try (CapturedLogs logs = new CapturedLogs(LogSettings.DEFAULTS)) {
            Logger netty = logs.logger("io.netty.channel.DefaultChannelPipeline");
            Logger relay = logs.logger("io.pushrelay.core.upstream.Pool");
            for (LogLevel level : LogLevel.values()) {
                logs.configure(new LogSettings(LogFormat.TEXT, AccessLog.STDOUT, level));
                Level expected = Level.toLevel(level.name());
                assertEquals(expected, logs.logger(Logger.ROOT_LOGGER_NAME).getLevel());
                assertEquals(expected, relay.getEffectiveLevel());
                assertEquals(level == LogLevel.INFO ? Level.WARN : expected, netty.getEffectiveLevel(), level.name());
                assertEquals(Level.INFO, logs.access().getEffectiveLevel());
            }
            logs.configure(LogSettings.DEFAULTS);
            logs.stderr.reset();
            netty.info("netty info");
            netty.warn("netty warn");
            relay.info("relay info");
            relay.debug("relay debug");
            assertEquals(List.of("netty warn", "relay info"), messages(lines(logs.err())));
        }
    }

    @Test
    void configuringTheSameSettingsAgainShouldChangeNothing() {
        LogSettings settings = new LogSettings(LogFormat.JSON, AccessLog.file(dir.resolve("access.log")), LogLevel.INFO);
        try (CapturedLogs logs = new CapturedLogs(settings)) {
            List<Appender<ILoggingEvent>> root = appenders(logs.logger(Logger.ROOT_LOGGER_NAME));
            List<Appender<ILoggingEvent>> access = appenders(logs.access());
            logs.configure(new LogSettings(LogFormat.JSON, AccessLog.file(dir.resolve("access.log")), LogLevel.INFO));
            assertEquals(1, root.size());
            assertEquals(LogSetup.OPERATIONAL_APPENDER, root.get(0).getName());
            assertEquals(LogSetup.ACCESS_APPENDER, access.get(0).getName());
            assertSame(root.get(0), appenders(logs.logger(Logger.ROOT_LOGGER_NAME)).get(0));
            assertSame(access.get(0), appenders(logs.access()).get(0));
            assertEquals(1, appenders(logs.access()).size());
            logs.logger("io.pushrelay.probe").info("once");
            assertEquals(1, lines(logs.err()).size());
        }
    }

    @Test
    void reloadShouldSwitchFormatAndTargetAndStopWhatItReplaced() throws IOException {
        Path first = dir.resolve("first.log");
        Path second = dir.resolve("second.log");
        try (CapturedLogs logs = new CapturedLogs(new LogSettings(LogFormat.TEXT, AccessLog.file(first), LogLevel.INFO))) {
            Appender<ILoggingEvent> oldOperational = appenders(logs.logger(Logger.ROOT_LOGGER_NAME)).get(0);
            Appender<ILoggingEvent> oldAccess = appenders(logs.access()).get(0);
            logs.access().info("to first");
            logs.logger("io.pushrelay.probe").info("as text");

            logs.configure(new LogSettings(LogFormat.JSON, AccessLog.file(second), LogLevel.INFO));
            assertFalse(oldOperational.isStarted());
            assertFalse(oldAccess.isStarted());
            logs.access().info("to second");
            logs.logger("io.pushrelay.probe").info("as json");
            assertEquals("to first\n", Files.readString(first));
            assertEquals("to second", JSON.readTree(Files.readString(second)).get("msg").asText());
            List<String> err = lines(logs.err());
            assertEquals(List.of("as text"), messages(err.subList(0, 1)));
            assertEquals("as json", JSON.readTree(err.get(1)).get("msg").asText());

            logs.configure(new LogSettings(LogFormat.JSON, AccessLog.OFF, LogLevel.INFO));
            assertTrue(appenders(logs.access()).isEmpty());
            logs.access().info("nowhere");
            logs.configure(new LogSettings(LogFormat.JSON, AccessLog.STDOUT, LogLevel.INFO));
            logs.access().info("to stdout");
            assertEquals("to stdout", JSON.readTree(logs.out()).get("msg").asText());
            assertEquals(1, lines(Files.readString(second)).size());
        }
    }

    @Test
    void resetByAnotherShouldMakeTheNextConfigureStartOver() {
        try (CapturedLogs logs = new CapturedLogs(LogSettings.DEFAULTS)) {
            logs.context.reset();
            assertTrue(appenders(logs.logger(Logger.ROOT_LOGGER_NAME)).isEmpty());
            logs.configure(LogSettings.DEFAULTS);
            logs.access().info(LINE);
            logs.logger("io.pushrelay.probe").info("back");
            assertEquals(LINE + "\n", logs.out());
            assertEquals(List.of("back"), messages(lines(logs.err())));
        }
    }

    @Test
    void accessFileShouldBeCreated0640AndOnlyAppendedTo() throws IOException {
        Path file = dir.resolve("access.log");
        try (CapturedLogs logs = new CapturedLogs(new LogSettings(LogFormat.TEXT, AccessLog.file(file), LogLevel.INFO))) {
            logs.access().info(LINE);
            logs.access().info("second");
            assertEquals(LINE + "\nsecond\n", Files.readString(file));
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertEquals("", logs.out());
        }
        Path existing = dir.resolve("existing.log");
        Files.writeString(existing, "kept\n");
        Files.setPosixFilePermissions(existing, PosixFilePermissions.fromString("rw-------"));
        try (CapturedLogs logs = new CapturedLogs(new LogSettings(LogFormat.TEXT, AccessLog.file(existing), LogLevel.INFO))) {
            logs.access().info("appended");
            assertEquals("kept\nappended\n", Files.readString(existing));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(existing)));
        }
    }

    @Test
    void reopenAfterRenameShouldStartANewFileAtThePath() throws IOException {
        Path file = dir.resolve("access.log");
        Path rotated = dir.resolve("access.log.1");
        try (CapturedLogs logs = new CapturedLogs(new LogSettings(LogFormat.TEXT, AccessLog.file(file), LogLevel.INFO))) {
            logs.access().info("before rotation");
            Files.move(file, rotated);
            logs.access().info("still to the renamed file");
            assertTrue(LogSetup.reopen(logs.context));
            logs.access().info("after reopen");
            assertEquals("before rotation\nstill to the renamed file\n", Files.readString(rotated));
            assertEquals("after reopen\n", Files.readString(file));
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertTrue(LogSetup.reopen(logs.context));
            logs.access().info("reopen of the same file appends");
            assertEquals("after reopen\nreopen of the same file appends\n", Files.readString(file));
        }
    }

    @Test
    void copytruncateShouldLeaveNoHole() throws IOException {
        Path file = dir.resolve("access.log");
        try (CapturedLogs logs = new CapturedLogs(new LogSettings(LogFormat.TEXT, AccessLog.file(file), LogLevel.INFO))) {
            logs.access().info(LINE);
            Files.copy(file, dir.resolve("access.log.1"));
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
                channel.truncate(0);
            }
            logs.access().info("after truncate");
            assertEquals("after truncate\n", Files.readString(file));
            assertEquals(LINE + "\n", Files.readString(dir.resolve("access.log.1")));
        }
    }

    @Test
    void failedReopenShouldKeepWritingToThePreviousFile() throws IOException {
        Path sub = Files.createDirectory(dir.resolve("sub"));
        Path file = sub.resolve("access.log");
        Path moved = dir.resolve("moved.log");
        try (CapturedLogs logs = new CapturedLogs(new LogSettings(LogFormat.TEXT, AccessLog.file(file), LogLevel.INFO))) {
            logs.access().info("one");
            Files.move(file, moved);
            Files.delete(sub);
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> LogSetup.reopen(logs.context));
            assertEquals("access log " + file + ": reopen: no such directory", e.getMessage());
            logs.access().info("two");
            assertEquals("one\ntwo\n", Files.readString(moved));
        }
    }

    @Test
    void unopenableFileShouldFailConfigureAndKeepThePreviousSetup() {
        Path missing = dir.resolve("no-such-dir").resolve("access.log");
        try (CapturedLogs logs = new CapturedLogs(LogSettings.DEFAULTS)) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () ->
                    logs.configure(new LogSettings(LogFormat.JSON, AccessLog.file(missing), LogLevel.DEBUG)));
            assertEquals("access log " + missing + ": no such directory", e.getMessage());
            UncheckedIOException dirError = assertThrows(UncheckedIOException.class, () ->
                    logs.configure(new LogSettings(LogFormat.TEXT, AccessLog.file(dir), LogLevel.INFO)));
            assertEquals("access log " + dir + ": Is a directory", dirError.getMessage());
            logs.access().info(LINE);
            logs.logger("io.pushrelay.probe").debug("still info");
            logs.logger("io.pushrelay.probe").info("still text");
            assertEquals(LINE + "\n", logs.out());
            assertEquals(List.of("still text"), messages(lines(logs.err())));
        }
    }

    @Test
    void secretsShouldNeverReachAnyOutput() throws IOException {
        Path file = dir.resolve("access.log");
        for (LogFormat format : LogFormat.values()) {
            for (AccessLog target : List.of(AccessLog.STDOUT, AccessLog.file(file))) {
                try (CapturedLogs logs = new CapturedLogs(new LogSettings(format, target, LogLevel.TRACE))) {
                    logSecrets(logs);
                    String all = logs.out() + logs.err() + (Files.exists(file) ? Files.readString(file) : "");
                    Secrets.assertNoLeak(all);
                    assertTrue(all.contains("/3/device/" + Secrets.TOKEN_SHOWN), all);
                    assertTrue(all.contains(Redactor.REDACTED), all);
                }
            }
        }
    }

    @Test
    void nettyWireLoggersShouldBeSilentEvenAtTrace() {
        try (CapturedLogs logs = new CapturedLogs(new LogSettings(LogFormat.TEXT, AccessLog.STDOUT, LogLevel.TRACE))) {
            for (String name : List.of("io.netty.handler.logging.LoggingHandler", "io.netty.handler.logging.LoggingHandler.child",
                    "io.netty.handler.codec.http2.Http2FrameLogger")) {
                Logger wire = logs.logger(name);
                assertFalse(wire.isDebugEnabled(), name);
                wire.error("{} {} DATA: streamId=3 bytes={}", "[id: 0x1]", "INBOUND", "7b22617073223a7b7d7d");
            }
            logs.logger("io.netty.handler.logging.LoggingHandlerSibling").debug("other logger");
            logs.logger("io.netty.handler.codec.http2.Http2FrameCodec").debug("codec");
            assertEquals(List.of("other logger", "codec"), messages(lines(logs.err())));
        }
    }

    /** Secrets in every place a caller can put them: format arguments, key-values, MDC, exceptions, thread names. */
    static void logSecrets(CapturedLogs logs) {
        Logger log = logs.logger("io.pushrelay.probe");
        String path = "/3/device/" + Secrets.TOKEN;
        log.info("request {} with authorization: bearer {}", path, Secrets.JWT);
        log.info("headers {}", "DefaultHttp2Headers[:method: POST, :path: " + path + ", authorization: bearer "
                + Secrets.JWT + ", apns-topic: com.example]");
        log.debug("proxy {}", "proxy-authorization: Basic " + Secrets.BASIC);
        log.atWarn().addKeyValue("path", path).addKeyValue("auth", "Bearer " + Secrets.OAUTH)
                .addKeyValue("jwt", Secrets.JWT).log("fcm token {}", Secrets.OAUTH.substring(0, 4) + "…");
        org.slf4j.MDC.put("path", path);
        try {
            log.info("with mdc");
        } finally {
            org.slf4j.MDC.remove("path");
        }
        log.error("failed", new IOException("POST " + path + " authorization: bearer " + Secrets.JWT,
                new IllegalStateException("token " + Secrets.JWT)));
        String name = Thread.currentThread().getName();
        Thread.currentThread().setName("conn " + path);
        try {
            log.info("thread name");
        } finally {
            Thread.currentThread().setName(name);
        }
        logs.access().atInfo().addKeyValue("path", path).log("POST " + path + " 200 Bearer " + Secrets.JWT);
    }

    private static List<Appender<ILoggingEvent>> appenders(Logger logger) {
        List<Appender<ILoggingEvent>> out = new ArrayList<>();
        logger.iteratorForAppenders().forEachRemaining(out::add);
        return out;
    }
}
