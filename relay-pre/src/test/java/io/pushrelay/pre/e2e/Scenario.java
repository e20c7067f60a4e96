package io.pushrelay.pre.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.NetNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs {@link ScenarioMain} in a JVM of its own inside a fresh network namespace whose
 * {@code /etc/hosts} says {@code 127.0.0.1 api.push.apple.com}, and returns its summary.
 */
public final class Scenario {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Scenario() {
    }

    /** The parsed {@code SUMMARY} line, with the whole output as {@code "output"} on failure. */
    public static JsonNode run(E2ePki pki, Path work, Duration timeout, String... options) {
        try (NetNamespace ns = NetNamespace.create("pre-e2e", List.of("127.0.0.1 " + E2ePki.APNS_HOST))) {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                            .toString(), "-XX:+UseParallelGC", "-cp", System.getProperty("java.class.path"),
                    ScenarioMain.class.getName(), "--pki", pki.dir().toString(), "--work", work.toString()));
            command.addAll(List.of(options));
            ExternalProcess.Result result = ExternalProcess.run(timeout, Map.of(), ns.exec(command));
            for (String line : result.output().split("\n")) {
                if (line.startsWith(ScenarioMain.SUMMARY)) {
                    return JSON.readTree(line.substring(ScenarioMain.SUMMARY.length()));
                }
            }
            throw new AssertionError("scenario " + String.join(" ", options) + " printed no summary (exit "
                    + result.exitCode() + "):\n" + result.output());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
