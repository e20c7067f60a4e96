package io.pushrelay.core.observe.logging;

import static io.pushrelay.core.observe.logging.CapturedLogs.lines;
import static io.pushrelay.core.observe.logging.LayoutTest.JSON;
import static io.pushrelay.core.observe.logging.LayoutTest.TEXT_LINE;
import static io.pushrelay.core.observe.logging.LayoutTest.messages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pushrelay.core.testing.ExternalProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real output of a relay-like process ({@link LogProbe}): stdout and stderr read apart, for
 * the default {@code logback.xml} and for {@link LogSetup#configure} with text and JSON.
 */
class LogSetupProcessTest {
    static final String MASKED_ACCESS_LINE = LogProbe.ACCESS_LINE.replace(Secrets.TOKEN, Secrets.TOKEN_SHOWN);
    static final List<String> TEXT_MESSAGES = List.of(
            "probe info /3/device/" + Secrets.TOKEN_SHOWN,
            "probe warn exception=\"java.io.IOException: reset by peer, authorization: bearer <redacted>;"
                    + " caused by: java.net.SocketException: broken pipe\"",
            "netty warn",
            "probe line\\nforged",
            "probe done");

    @TempDir
    Path dir;

    @Test
    void defaultConfigurationShouldSplitTextOperationalLogAndAccessLog() throws IOException {
        Output out = run(List.of("-Dlogback.configurationFile=logback.xml"), "default");
        assertEquals(List.of(MASKED_ACCESS_LINE), lines(out.stdout));
        assertEquals(TEXT_MESSAGES, messages(lines(out.stderr)));
        assertNoSecrets(out);
    }

    @Test
    void textShouldSplitOperationalLogToStderrAndAccessLogToStdout() throws IOException {
        Output out = run(List.of(), "text", "stdout", "info");
        assertEquals(List.of(MASKED_ACCESS_LINE), lines(out.stdout));
        List<String> stderr = lines(out.stderr);
        assertEquals(TEXT_MESSAGES, messages(stderr));
        assertTrue(stderr.get(0).contains(" INFO  [main] io.pushrelay.probe - probe info"), stderr.get(0));
        assertTrue(stderr.get(2).contains(" WARN  [main] io.netty.probe - netty warn"), stderr.get(2));
        assertNoSecrets(out);
    }

    @Test
    void jsonAtDebugShouldWriteOneObjectPerLineWithStacksAndNoWireDumps() throws IOException {
        Output out = run(List.of(), "json", "stdout", "debug");
        List<String> stdout = lines(out.stdout);
        assertEquals(1, stdout.size(), out.stdout);
        JsonNode access = JSON.readTree(stdout.get(0));
        assertEquals(LogSetup.ACCESS_LOGGER, access.get("logger").asText());
        assertEquals(MASKED_ACCESS_LINE, access.get("msg").asText());
        assertEquals(200, access.get("status").intValue());
        assertEquals("/3/device/" + Secrets.TOKEN_SHOWN, access.get("path").asText());

        List<JsonNode> events = new ArrayList<>();
        for (String line : lines(out.stderr)) {
            events.add(JSON.readTree(line));
        }
        List<String> probe = new ArrayList<>();
        boolean nettyDebug = false;
        for (JsonNode event : events) {
            String logger = event.get("logger").asText();
            assertFalse(logger.startsWith("io.netty.handler.logging"), event.toString());
            if (logger.startsWith("io.pushrelay.probe") || logger.equals("io.netty.probe")) {
                probe.add(event.get("level").asText() + " " + event.get("msg").asText());
            } else if (logger.startsWith("io.netty.") && event.get("level").asText().equals("DEBUG")) {
                nettyDebug = true;
            }
            assertEquals("main", event.get("thread").asText());
        }
        assertTrue(nettyDebug, "Netty's own DEBUG lines at level debug:\n" + out.stderr);
        assertEquals(List.of("INFO probe info /3/device/" + Secrets.TOKEN_SHOWN, "DEBUG probe debug", "WARN probe warn",
                "INFO netty info", "WARN netty warn", "INFO probe line\nforged", "INFO probe done"), probe);
        JsonNode warn = events.stream().filter(e -> e.get("msg").asText().equals("probe warn")).findFirst().orElseThrow();
        assertEquals("reset by peer, authorization: bearer <redacted>", warn.get("exception").get("message").asText());
        assertTrue(warn.get("exception").get("stack").asText().contains("\tat io.pushrelay.core.observe.logging.LogProbe.main"));
        assertNoSecrets(out);
    }

    @Test
    void withoutThePayloadFilterNettyWouldDumpThePayload() throws IOException {
        Output out = run(List.of(), "text", "off", "debug", "nofilter");
        assertEquals("", out.stdout);
        assertTrue(out.stderr.contains("io.netty.handler.logging.LoggingHandler") && out.stderr.contains(LogProbe.PAYLOAD),
                out.stderr);
        for (String line : lines(out.stderr)) {
            assertTrue(TEXT_LINE.matcher(line).matches() || line.startsWith("\t"), line);
        }
    }

    private static void assertNoSecrets(Output out) {
        Secrets.assertNoLeak(out.stdout + out.stderr);
        assertFalse(out.stderr.contains(LogProbe.PAYLOAD) || out.stderr.contains("53 45 43 52 45 54"), out.stderr);
    }

    private Output run(List<String> jvmOptions, String... args) throws IOException {
        Path stderr = Files.createTempFile(dir, "stderr", ".log");
        List<String> command = new ArrayList<>(List.of("sh", "-c", "exec \"$@\" 2>\"$PROBE_STDERR\"", "sh",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path")));
        command.addAll(jvmOptions);
        command.add(LogProbe.class.getName());
        command.addAll(List.of(args));
        ExternalProcess.Result result = ExternalProcess.run(Duration.ofSeconds(60),
                Map.of("PROBE_STDERR", stderr.toString()), command);
        String err = Files.readString(stderr);
        assertEquals(0, result.exitCode(), "stdout:\n" + result.output() + "\nstderr:\n" + err);
        return new Output(result.output(), err);
    }

    private record Output(String stdout, String stderr) {
    }
}
