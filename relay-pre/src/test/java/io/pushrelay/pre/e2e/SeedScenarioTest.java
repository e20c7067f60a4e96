package io.pushrelay.pre.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed scenario, faithfully: Pushy's {@code ApnsClient} (token auth, a real P-256 key)
 * reaches relay-pre only by the name {@code api.push.apple.com} through {@code /etc/hosts} (in a
 * network namespace); relay-pre goes through Squid (CONNECT allowed only to the mock's port;
 * Squid's hosts_file sends api.push.apple.com to 127.0.0.1) to Pushy's {@code MockApnsServer},
 * whose certificate comes from a second CA that relay-pre trusts through {@code --upstream-ca}.
 * 10,000 notifications (3,000 with ALPN), 200 in flight, 5% with malformed tokens; counted at the client, the
 * mock, Squid's access log and relay-pre's metrics.
 */
class SeedScenarioTest {
    /** The seed's 10,000 without ALPN (Pushy's default); the ALPN run is shorter, the path is the same. */
    static final int COUNT = 10_000;
    static final int COUNT_WITH_ALPN = 3_000;
    static final int IN_FLIGHT = 200;
    static final int BAD_EVERY = 20;

    @TempDir
    static Path dir;
    static E2ePki pki;

    @BeforeAll
    static void pki() {
        pki = E2ePki.create(dir.resolve("pki"));
    }

    @ParameterizedTest(name = "alpn={0}")
    @ValueSource(booleans = {false, true})
    void thousandsOfNotificationsShouldAllBeAnsweredAndArriveIntact(boolean alpn) throws Exception {
        int count = alpn ? COUNT_WITH_ALPN : COUNT;
        JsonNode s = Scenario.run(pki, dir, Duration.ofSeconds(150), "--mode", "seed", "--count",
                Integer.toString(count), "--in-flight", Integer.toString(IN_FLIGHT), "--bad-every",
                Integer.toString(BAD_EVERY), "--alpn", Boolean.toString(alpn), "--relay-leak-level", "paranoid");
        System.out.println("seed scenario alpn=" + alpn + ": " + s);
        int bad = count / BAD_EVERY;
        int good = count - bad;

        JsonNode client = s.get("client");
        assertEquals(count, client.get("sent").asInt(), s::toString);
        assertEquals(0, client.get("failed").asInt(), s::toString);
        assertEquals(0, client.get("unanswered").asInt(), s::toString);
        assertEquals(0, client.get("notSent").asInt(), s::toString);
        assertEquals(good, client.get("accepted").asInt(), s::toString);
        assertEquals(1, client.get("rejected").size(), s::toString);
        assertEquals(bad, client.get("rejected").get("400 BadDeviceToken").asInt(), s::toString);
        assertEquals(0, client.get("apnsIdMismatches").asInt(), s::toString);
        assertTrue(client.get("maxInFlight").asInt() >= 100, s::toString);

        JsonNode digests = s.get("digests");
        assertEquals(good, digests.get("same").asInt(), s::toString);
        assertEquals(0, digests.get("differ").asInt(), s::toString);
        assertEquals(0, digests.get("missingAtMock").asInt(), s::toString);
        assertEquals(0, digests.get("acceptedAtMockNotAtClient").asInt(), s::toString);

        JsonNode mock = s.get("mock");
        assertEquals(good, mock.get("accepted").asInt(), s::toString);
        assertEquals(good, mock.get("acceptedWithAuthorization").asInt(), s::toString);
        assertEquals(0, mock.get("duplicates").asInt(), s::toString);
        assertEquals(bad, mock.get("rejected").get("BadDeviceToken").asInt(), s::toString);
        assertEquals(1, mock.get("rejected").size(), s::toString);
        int connections = mock.get("connections").asInt();
        assertTrue(connections >= 1, s::toString);

        // Squid logs a CONNECT line when its tunnel closes; relay-pre and Squid have stopped.
        JsonNode connects = s.get("squidConnects");
        assertEquals(connections, connects.size(), s::toString);
        for (JsonNode line : connects) {
            assertTrue(line.asText().matches("TCP_TUNNEL/200 api\\.push\\.apple\\.com:\\d+"), s::toString);
        }

        JsonNode relay = s.get("relay");
        assertEquals(good, relay.get("requests").get("200 -").asInt(), s::toString);
        assertEquals(bad, relay.get("requests").get("400 -").asInt(), s::toString);
        assertEquals(2, relay.get("requests").size(), s::toString);
        assertEquals(count, relay.get("accessLogLines").asInt(), s::toString);
        assertEquals(0, relay.get("exitCode").asInt(), s::toString);
        assertEquals(0, relay.get("leaks").size(), s::toString);
        assertEquals(0, relay.get("warnings").size(), s::toString);
    }
}
