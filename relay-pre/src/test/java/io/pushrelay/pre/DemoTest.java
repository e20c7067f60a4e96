package io.pushrelay.pre;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.testing.ExternalProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's first command, {@code scripts/push-relay demo}, as a user would, once every
 * module's jar is built (integration-test phase), and checks its table: three paths, every
 * notification sent answered 200, and the proxy it says it used.
 */
@Tag("built-jars")
class DemoTest {
    private static final Pattern ROW = Pattern.compile(
            "^(push service -> .+?)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+([0-9.]+)\\s+([0-9.]+)\\s+(\\S+)$", Pattern.MULTILINE);

    @Test
    void demoShouldAnswerEveryNotificationOnEveryPath(@TempDir Path work) throws Exception {
        Path launcher = repositoryRoot().resolve("scripts/push-relay");
        ExternalProcess.Result result = ExternalProcess.run(Duration.ofMinutes(4), Map.of(),
                List.of(launcher.toString(), "demo", "--count", "300", "--in-flight", "30", "--warm-up", "50", "--dir",
                        work.toString()));
        String output = result.output();
        assertEquals(0, result.exitCode(), output);
        assertTrue(output.contains("corporate proxy: Squid"), "Squid is installed here, so the demo uses it:\n" + output);
        Matcher row = ROW.matcher(output);
        int rows = 0;
        while (row.find()) {
            rows++;
            assertEquals("300", row.group(2), row.group());
            assertEquals("300", row.group(3), "answered: " + row.group());
            assertEquals("0", row.group(4), "errors: " + row.group());
            assertEquals("200:300", row.group(7), row.group());
        }
        assertEquals(3, rows, output);
        assertTrue(output.contains("first 50 warm up the JVMs"), output);
        // The table counts the measured ones; the upstream saw the warm-up too, and nothing else.
        assertTrue(output.contains("APNS simulator accepted 1050 notifications (1050 sent in all"), output);
        assertTrue(output.contains("demo: OK"), output);
        // The proxy saw the tunnels: the audit trail the network team wanted.
        String squidLog = Files.readString(work.resolve("squid/access.log"));
        assertTrue(squidLog.contains("CONNECT api.push.apple.com:"), squidLog);
        assertTrue(squidLog.contains("CONNECT 127.0.0.1:"), squidLog);
    }

    static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isExecutable(dir.resolve("scripts/push-relay"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("scripts/push-relay not found above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }
}
