package io.pushrelay.core.observe.logging;

import static io.pushrelay.core.observe.logging.CapturedLogs.lines;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pushrelay.core.config.AccessLog;
import io.pushrelay.core.config.LogFormat;
import io.pushrelay.core.config.LogLevel;
import io.pushrelay.core.config.LogSettings;
import java.io.IOException;
import java.math.BigInteger;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The text and JSON shapes, written through {@link LogSetup} into captured streams. */
class LayoutTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern TEXT_LINE = Pattern.compile(
            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z (ERROR|WARN |INFO |DEBUG|TRACE) \\[[^\\]]*] \\S+ - .*");
    static final LogSettings TEXT = LogSettings.DEFAULTS;
    static final LogSettings TEXT_DEBUG = new LogSettings(LogFormat.TEXT, AccessLog.STDOUT, LogLevel.DEBUG);
    static final LogSettings JSON_INFO = new LogSettings(LogFormat.JSON, AccessLog.STDOUT, LogLevel.INFO);
    static final LogSettings JSON_DEBUG = new LogSettings(LogFormat.JSON, AccessLog.STDOUT, LogLevel.DEBUG);

    /** Every kind of character a client or a bug can put in a message. */
    static final String NASTY = "quote\" backslash\\ nl\n cr\r tab\t nul\0 bell\u0007 esc\u001b[31m del\u007f c1\u0085"
            + " ls\u2028 ps\u2029 slash/ é 日本 😀 lone" + (char) 0xD800 + " low" + (char) 0xDC00 + " end {}";
    static final String NASTY_AS_READ = NASTY.replace((char) 0xD800, '\uFFFD').replace((char) 0xDC00, '\uFFFD');

    @Test
    void textLineShouldBeTimeLevelThreadLoggerMessageAndFields() {
        try (CapturedLogs logs = new CapturedLogs(TEXT)) {
            Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            MDC.put("conn", "c 1");
            try {
                logs.logger("io.pushrelay.probe").atInfo().addKeyValue("route", "apns").addKeyValue("n", 3)
                        .addKeyValue("q", "say \"hi\"").addKeyValue("empty", "").log("hello {}", "world");
            } finally {
                MDC.remove("conn");
            }
            Instant after = Instant.now();

            List<String> lines = lines(logs.err());
            assertEquals(1, lines.size(), logs.err());
            String line = lines.get(0);
            assertTrue(TEXT_LINE.matcher(line).matches(), line);
            Instant ts = Instant.parse(line.substring(0, 24));
            assertFalse(ts.isBefore(before) || ts.isAfter(after), ts + " not in " + before + ".." + after);
            assertEquals(" INFO  [" + Thread.currentThread().getName() + "] io.pushrelay.probe - hello world"
                    + " route=apns n=3 q=\"say \\\"hi\\\"\" empty=\"\" conn=\"c 1\"", line.substring(24));
            assertEquals("", logs.out());
        }
    }

    @Test
    void textExceptionShouldBeOneSummaryAtInfoAndAStackAtDebug() {
        try (CapturedLogs logs = new CapturedLogs(TEXT)) {
            logs.logger("io.pushrelay.probe").warn("upstream lost", failure());
            List<String> lines = lines(logs.err());
            assertEquals(List.of("upstream lost exception=\"java.io.IOException: reset by peer; caused by: "
                    + "java.net.SocketException: broken pipe\""), messages(lines));

            logs.stderr.reset();
            logs.configure(TEXT_DEBUG);
            logs.logger("io.pushrelay.probe").warn("upstream lost", failure());
            lines = lines(logs.err());
            assertTrue(TEXT_LINE.matcher(lines.get(0)).matches(), lines.get(0));
            assertTrue(lines.size() > 3, logs.err());
            for (String continuation : lines.subList(1, lines.size())) {
                assertTrue(continuation.startsWith("\t"), continuation);
            }
            assertEquals("\tjava.io.IOException: reset by peer", lines.get(1));
            assertTrue(lines.get(2).startsWith("\t\tat io.pushrelay.core.observe.logging.LayoutTest.failure"), lines.get(2));
            assertTrue(lines.contains("\tCaused by: java.net.SocketException: broken pipe"), logs.err());
        }
    }

    @Test
    void textShouldKeepAnEventOnOneLineWhateverItsCharacters() {
        try (CapturedLogs logs = new CapturedLogs(TEXT)) {
            logs.logger("io.pushrelay.probe").atWarn().addKeyValue("v", NASTY).log(NASTY, "arg");
            String out = logs.err();
            List<String> lines = lines(out);
            assertEquals(1, lines.size(), out);
            String body = "quote\" backslash\\ nl\\n cr\\r tab\\t nul\\u0000 bell\\u0007 esc\\u001b[31m del\\u007f"
                    + " c1\\u0085 ls\\u2028 ps\\u2029 slash/ é 日本 😀 lone\uFFFD low\uFFFD end ";
            String quoted = body.replace("quote\"", "quote\\\"").replace("backslash\\ ", "backslash\\\\ ");
            assertEquals(body + "arg v=\"" + quoted + "{}\"", messages(lines).get(0));
            for (char c : out.substring(0, out.length() - 1).toCharArray()) {
                assertFalse(Character.isISOControl(c) || c == '\u2028' || c == '\u2029', "raw control " + (int) c);
            }
            assertTrue(logs.stderr.toString(StandardCharsets.UTF_8).contains("é 日本 😀"));
        }
    }

    @Test
    void jsonShouldHaveTheDocumentedFieldsInOrderWithTypedValues() throws IOException {
        try (CapturedLogs logs = new CapturedLogs(JSON_INFO)) {
            Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            MDC.put("conn", "c1");
            MDC.put("level", "from-mdc");
            try {
                logs.logger("io.pushrelay.probe").atInfo().addKeyValue("route", "apns").addKeyValue("n", 3)
                        .addKeyValue("ok", true).addKeyValue("ratio", 0.25).addKeyValue("big", new BigInteger("123456789012345678901"))
                        .addKeyValue("nothing", (Object) null).addKeyValue("path", Path.of("/etc/x")).addKeyValue("nan", Double.NaN)
                        .addKeyValue("msg", "shadow").addKeyValue("msg", "shadow again").log("hello {}", "world");
            } finally {
                MDC.remove("conn");
                MDC.remove("level");
            }
            Instant after = Instant.now();
            List<String> lines = lines(logs.err());
            assertEquals(1, lines.size(), logs.err());
            JsonNode event = JSON.readTree(lines.get(0));
            List<String> names = new ArrayList<>();
            event.fieldNames().forEachRemaining(names::add);
            assertEquals(List.of("ts", "level", "logger", "thread", "msg", "route", "n", "ok", "ratio", "big", "nothing",
                    "path", "nan", "msg_", "msg__", "conn", "level_"), names);
            Instant ts = Instant.parse(event.get("ts").asText());
            assertTrue(event.get("ts").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
            assertFalse(ts.isBefore(before) || ts.isAfter(after));
            assertEquals("INFO", event.get("level").asText());
            assertEquals("io.pushrelay.probe", event.get("logger").asText());
            assertEquals(Thread.currentThread().getName(), event.get("thread").asText());
            assertEquals("hello world", event.get("msg").asText());
            assertEquals("apns", event.get("route").asText());
            assertTrue(event.get("n").isInt());
            assertEquals(3, event.get("n").intValue());
            assertTrue(event.get("ok").isBoolean() && event.get("ok").booleanValue());
            assertEquals(0.25, event.get("ratio").doubleValue());
            assertEquals(new BigInteger("123456789012345678901"), event.get("big").bigIntegerValue());
            assertTrue(event.get("nothing").isNull());
            assertEquals("/etc/x", event.get("path").asText());
            assertEquals("NaN", event.get("nan").textValue());
            assertEquals("shadow", event.get("msg_").asText());
            assertEquals("shadow again", event.get("msg__").asText());
            assertEquals("c1", event.get("conn").asText());
            assertEquals("from-mdc", event.get("level_").asText());
            assertFalse(event.has("exception"));
        }
    }

    @Test
    void jsonExceptionShouldBeClassAndMessageAtInfoAndCarryTheStackAtDebug() throws IOException {
        try (CapturedLogs logs = new CapturedLogs(JSON_INFO)) {
            logs.logger("io.pushrelay.probe").error("upstream lost", failure());
            JsonNode exception = JSON.readTree(lines(logs.err()).get(0)).get("exception");
            assertEquals(JSON.readTree("{\"class\":\"java.io.IOException\",\"message\":\"reset by peer\","
                    + "\"cause\":{\"class\":\"java.net.SocketException\",\"message\":\"broken pipe\"}}"), exception);

            logs.stderr.reset();
            logs.configure(JSON_DEBUG);
            logs.logger("io.pushrelay.probe").error("upstream lost", new IllegalStateException());
            logs.logger("io.pushrelay.probe").error("upstream lost", failure());
            List<String> lines = lines(logs.err());
            assertEquals(2, lines.size(), logs.err());
            exception = JSON.readTree(lines.get(0)).get("exception");
            assertEquals("java.lang.IllegalStateException", exception.get("class").asText());
            assertFalse(exception.has("message"));
            exception = JSON.readTree(lines.get(1)).get("exception");
            String stack = exception.get("stack").asText();
            assertTrue(stack.startsWith("java.io.IOException: reset by peer\n\tat io.pushrelay.core.observe.logging.LayoutTest.failure"), stack);
            assertTrue(stack.contains("\nCaused by: java.net.SocketException: broken pipe\n"), stack);
            assertEquals("java.net.SocketException", exception.get("cause").get("class").asText());
        }
    }

    @Test
    void jsonShouldEscapeEveryNastyCharacterAndKeepNonAsciiAsUtf8() throws IOException {
        try (CapturedLogs logs = new CapturedLogs(JSON_INFO)) {
            logs.logger("io.pushrelay.probe").atWarn().addKeyValue(NASTY, NASTY).log(NASTY, "arg");
            String out = logs.err();
            List<String> lines = lines(out);
            assertEquals(1, lines.size(), out);
            JsonNode event = JSON.readTree(lines.get(0));
            assertEquals(NASTY_AS_READ.replace("{}", "arg"), event.get("msg").asText());
            assertEquals(NASTY_AS_READ, event.get(NASTY_AS_READ).asText());
            String raw = lines.get(0);
            for (String escaped : List.of("quote\\\"", "backslash\\\\", "nl\\n", "cr\\r", "tab\\t", "nul\\u0000",
                    "bell\\u0007", "esc\\u001b", "del\\u007f", "c1\\u0085", "ls\\u2028", "ps\\u2029")) {
                assertTrue(raw.contains(escaped), escaped + " in " + raw);
            }
            assertTrue(raw.contains("slash/ é 日本 😀 lone\uFFFD low\uFFFD"), raw);
            byte[] bytes = logs.stderr.toByteArray();
            assertTrue(new String(bytes, StandardCharsets.UTF_8).contains("é"));
            assertTrue(indexOf(bytes, "é 日本 😀".getBytes(StandardCharsets.UTF_8)) >= 0, "UTF-8 bytes as they are");
        }
    }

    @Test
    void nullMessageAndNullKeyShouldStillMakeValidLines() throws IOException {
        try (CapturedLogs logs = new CapturedLogs(JSON_INFO)) {
            logs.logger("io.pushrelay.probe").atInfo().addKeyValue(null, (Object) "v").log((String) null);
            JsonNode event = JSON.readTree(lines(logs.err()).get(0));
            assertTrue(event.get("msg").isNull());
            assertEquals("v", event.get("null").asText());
        }
        try (CapturedLogs logs = new CapturedLogs(TEXT)) {
            logs.logger("io.pushrelay.probe").atInfo().addKeyValue(null, (Object) null).log((String) null);
            String line = lines(logs.err()).get(0);
            assertTrue(line.endsWith("io.pushrelay.probe -  null=null"), line);
        }
    }

    static Exception failure() {
        return new IOException("reset by peer", new SocketException("broken pipe"));
    }

    /** The text after {@code logger - } of each event line. */
    static List<String> messages(List<String> lines) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            assertTrue(TEXT_LINE.matcher(line).matches(), line);
            out.add(line.substring(line.indexOf(" - ") + 3));
        }
        return out;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
