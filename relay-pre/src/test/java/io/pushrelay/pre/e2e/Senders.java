package io.pushrelay.pre.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;

import io.pushrelay.core.testing.ExternalProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Senders for tests whose relay runs in the test JVM, where no {@code /etc/hosts} names the relay:
 * curl ({@code --resolve}) and h2load ({@code --connect-to}) both still use
 * {@code api.push.apple.com} for SNI, certificate check (curl) and {@code :authority}.
 */
final class Senders {
    /** Reasons APNS uses to say "delete this device"; a relay must never make them up. */
    static final List<String> DEVICE_REMOVAL_REASONS = List.of("BadDeviceToken", "Unregistered", "MissingDeviceToken",
            "DeviceTokenNotForTopic");

    private Senders() {
    }

    /** One curl answer: status, body, HTTP version, wall time. */
    record CurlAnswer(int exitCode, int status, String body, String httpVersion, long millis, String output) {
        /** Fails when this relay-made answer carries a device-removal reason. */
        CurlAnswer assertNoDeviceRemovalReason() {
            for (String reason : DEVICE_REMOVAL_REASONS) {
                assertFalse(body.contains(reason), "relay-made answer with " + reason + ": " + output);
            }
            return this;
        }
    }

    private static final Pattern TRAILER = Pattern.compile("(?s)(.*)\\n(\\d{3}) (\\S+)\\s*$");

    /**
     * POSTs {@code body} to {@code https://api.push.apple.com:PORT/3/device/TOKEN} (resolved to
     * 127.0.0.1), trusting {@code ca}, with {@code extra} curl arguments before the URL.
     */
    static CurlAnswer curl(Path dir, Path ca, int port, String token, String body, String... extra) {
        try {
            Path bodyFile = Files.createTempFile(dir, "body", ".json");
            Files.writeString(bodyFile, body);
            List<String> command = new ArrayList<>(List.of("curl", "-sS", "--noproxy", "*", "--http2",
                    "--max-time", "30", "--cacert", ca.toString(),
                    "--resolve", E2ePki.APNS_HOST + ":" + port + ":127.0.0.1",
                    "-H", "apns-topic: " + E2ePki.TOPIC, "-H", "authorization: bearer " + FAKE_JWT,
                    "--data-binary", "@" + bodyFile, "-w", "\n%{http_code} %{http_version}\n"));
            command.addAll(List.of(extra));
            command.add("https://" + E2ePki.APNS_HOST + ":" + port + "/3/device/" + token);
            long start = System.nanoTime();
            ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(40), Map.of(), command);
            long millis = (System.nanoTime() - start) / 1_000_000;
            Matcher m = TRAILER.matcher(r.output());
            if (r.exitCode() != 0 || !m.matches()) {
                return new CurlAnswer(r.exitCode(), 0, "", "", millis, r.output());
            }
            return new CurlAnswer(r.exitCode(), Integer.parseInt(m.group(2)), m.group(1).trim(), m.group(3), millis,
                    r.output());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JWT-shaped provider token (header.claims.signature, team in iss), for upstreams that do not verify it. */
    static final String FAKE_JWT = "eyJhbGciOiJFUzI1NiIsImtpZCI6IktFWTEyMzQ1NjcifQ"
            + ".eyJpc3MiOiJURUFNMTIzNDU2IiwiaWF0IjoxNzAwMDAwMDAwfQ.c2lnbmF0dXJl";

    /** What h2load printed, parsed. */
    record H2loadResult(int exitCode, long total, long done, long succeeded, long failed, long errored, long timeout,
                        long s2xx, long s4xx, long s5xx, String output) {
    }

    private static final Pattern REQUESTS = Pattern.compile(
            "requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored, (\\d+) timeout");
    private static final Pattern STATUS = Pattern.compile(
            "status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx, (\\d+) 5xx");

    /** h2load: {@code n} POSTs of {@code bodyFile} over {@code clients} connections, {@code streams} each at once. */
    static H2loadResult h2load(Path bodyFile, int port, String token, int n, int clients, int streams) {
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(90), Map.of(), List.of("h2load",
                "-n", Integer.toString(n), "-c", Integer.toString(clients), "-m", Integer.toString(streams),
                "-d", bodyFile.toString(), "-H", "apns-topic: " + E2ePki.TOPIC,
                "-H", "authorization: bearer " + FAKE_JWT,
                "--connect-to", "127.0.0.1:" + port,
                "https://" + E2ePki.APNS_HOST + ":" + port + "/3/device/" + token));
        Matcher req = REQUESTS.matcher(r.output());
        Matcher st = STATUS.matcher(r.output());
        if (!req.find() || !st.find()) {
            throw new AssertionError("h2load output not understood (exit " + r.exitCode() + "):\n" + r.output());
        }
        return new H2loadResult(r.exitCode(), Long.parseLong(req.group(1)), Long.parseLong(req.group(3)),
                Long.parseLong(req.group(4)), Long.parseLong(req.group(5)), Long.parseLong(req.group(6)),
                Long.parseLong(req.group(7)), Long.parseLong(st.group(1)), Long.parseLong(st.group(3)),
                Long.parseLong(st.group(4)), r.output());
    }
}
