package io.pushrelay.pre.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * relay-pre with {@code --passthrough}, by name through {@code /etc/hosts} (network namespace),
 * through Squid to Pushy's mock: relay-pre reads the server name and tunnels the bytes, so the
 * senders' TLS runs end to end with "Apple" (they trust its CA, not relay-pre's), and Pushy's own
 * client certificate reaches the mock (certificate auth without relay-pre holding the
 * certificate). A server name that is no route is refused before anything goes upstream.
 */
class PassthroughScenarioTest {
    static final int COUNT = 2000;
    static final int BAD_EVERY = 20;

    @TempDir
    Path dir;

    @Test
    void pushyWithTokenAndWithCertificateShouldTalkToTheMockEndToEnd() {
        E2ePki pki = E2ePki.create(dir.resolve("pki"));
        JsonNode s = Scenario.run(pki, dir, Duration.ofSeconds(120), "--mode", "passthrough", "--count",
                Integer.toString(COUNT), "--bad-every", Integer.toString(BAD_EVERY));
        System.out.println("passthrough scenario: " + s);

        JsonNode token = s.get("token");
        assertEquals(COUNT, token.get("sent").asInt(), s::toString);
        assertEquals(0, token.get("failed").asInt() + token.get("unanswered").asInt(), s::toString);
        assertEquals(COUNT - COUNT / BAD_EVERY, token.get("accepted").asInt(), s::toString);
        assertEquals(COUNT / BAD_EVERY, token.get("rejected").get("400 BadDeviceToken").asInt(), s::toString);
        assertEquals(COUNT - COUNT / BAD_EVERY, s.get("mockAfterToken").get("acceptedWithAuthorization").asInt(),
                s::toString);
        assertEquals(COUNT - COUNT / BAD_EVERY, s.get("digests").get("same").asInt(), s::toString);
        assertEquals(0, s.get("digests").get("acceptedAtMockNotAtClient").asInt(), s::toString);
        assertEquals("-", s.get("mockAfterToken").get("clientSubjects").get(0).asText(), s::toString);

        int certificateCount = COUNT / 10;
        JsonNode certificate = s.get("certificate");
        assertEquals(0, certificate.get("failed").asInt() + certificate.get("unanswered").asInt(), s::toString);
        assertEquals(certificateCount - certificateCount / BAD_EVERY, certificate.get("accepted").asInt(), s::toString);
        JsonNode mock = s.get("mockAfterCertificate");
        assertEquals(COUNT - COUNT / BAD_EVERY, mock.get("acceptedWithAuthorization").asInt(), s::toString);
        assertEquals(0, mock.get("duplicates").asInt(), s::toString);
        assertEquals(2, mock.get("connections").asInt(), s::toString);
        assertTrue(mock.get("clientSubjects").get(1).asText().contains("UID=" + E2ePki.TOPIC), s::toString);

        assertTrue(s.get("notARoute").asText().startsWith("failed: "), s::toString);
        assertTrue(s.get("relayLog").toString().contains("SNI 'push.example.com' is not a route"), s::toString);

        // One tunnel per sender connection, each through Squid; nothing for the refused name.
        assertEquals(2, s.get("squidConnects").size(), s::toString);
        for (JsonNode line : s.get("squidConnects")) {
            assertTrue(line.asText().matches("TCP_TUNNEL/200 api\\.push\\.apple\\.com:\\d+"), s::toString);
        }
        JsonNode relay = s.get("relay");
        assertEquals(0, relay.get("exitCode").asInt(), s::toString);
        assertEquals(0, relay.get("leaks").size(), s::toString);
        assertEquals(0, relay.get("requests").size(), "passthrough sees no requests: " + s);
    }
}
