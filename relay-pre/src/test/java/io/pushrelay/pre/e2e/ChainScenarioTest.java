package io.pushrelay.pre.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The full chain of issue #4, with the audit the IT team wanted ({@link ChainScenario}, in a
 * network namespace so that the senders reach relay-pre by the name {@code api.push.apple.com}):
 * Pushy's {@code ApnsClient} (token auth, a real P-256 key) and then a Go standard-library client
 * (h2 by ALPN) -> relay-pre ({@code --via https://relay-post...}, {@code --proxy} Squid) -> Squid
 * inspecting the TLS ({@code ssl-bump}) -> relay-post (mutual TLS: only Squid's client certificate
 * gets in) -> Pushy's {@code MockApnsServer}.
 *
 * <p>5,000 notifications from Pushy, 200 in flight, 4% with a malformed device token, then 300
 * from Go, 100 in flight. Every one must be answered exactly once with the status the mock gives
 * it ({@code 200}, or {@code 400 BadDeviceToken}) and its own {@code apns-id}; the mock, relay-pre
 * and relay-post must count the same (their metrics, and their access logs line by line against
 * the plan); and Squid's access log must list every request once, as
 * {@code POST https://relay-post.push-relay.test:PORT/3/device/<token>} with the status that came
 * back. Both relays run as processes with paranoid leak detection and must exit cleanly.
 */
class ChainScenarioTest {
    static final int COUNT = 5_000;
    static final int IN_FLIGHT = 200;
    static final int BAD_EVERY = 25;
    static final int GO_COUNT = 300;
    static final int GO_IN_FLIGHT = 100;

    @TempDir
    Path dir;

    @Test
    void pushyThenGoThroughRelayPreTlsInspectingSquidAndRelayPostShouldAllBeAnsweredAndAudited() {
        E2ePki pki = E2ePki.create(dir.resolve("pki"));
        JsonNode s = Scenario.run(pki, dir, Duration.ofSeconds(120), "--mode", "chain",
                "--count", Integer.toString(COUNT), "--in-flight", Integer.toString(IN_FLIGHT),
                "--bad-every", Integer.toString(BAD_EVERY), "--go-count", Integer.toString(GO_COUNT),
                "--go-in-flight", Integer.toString(GO_IN_FLIGHT), "--relay-leak-level", "paranoid");
        System.out.println("chain scenario: " + s);
        int bad = bad(0, COUNT);
        int good = COUNT - bad;
        int goBad = bad(COUNT, COUNT + GO_COUNT);
        int goGood = GO_COUNT - goBad;
        int total = COUNT + GO_COUNT;

        // Pushy: every notification answered once, with its own apns-id and the mock's verdict.
        JsonNode pushy = s.get("pushy");
        assertEquals(COUNT, pushy.get("sent").asInt(), s::toString);
        assertEquals(0, pushy.get("failed").asInt(), s::toString);
        assertEquals(0, pushy.get("unanswered").asInt(), s::toString);
        assertEquals(0, pushy.get("notSent").asInt(), s::toString);
        assertEquals(COUNT, pushy.get("answeredIds").asInt(), s::toString);
        assertEquals(0, pushy.get("answeredMoreThanOnce").asInt(), s::toString);
        assertEquals(0, pushy.get("apnsIdMismatches").asInt(), s::toString);
        assertEquals(good, pushy.get("accepted").asInt(), s::toString);
        assertEquals(0, pushy.get("acceptedNotPlannedGood").asInt(), s::toString);
        assertEquals(Map.of("400 BadDeviceToken", bad), PeersScenarioTest.counts(pushy.get("rejected")), s::toString);
        assertTrue(pushy.get("maxInFlight").asInt() >= 100, s::toString);
        // What the mock accepted is exactly what Pushy was told was accepted, byte for byte.
        JsonNode digests = s.get("digests");
        assertEquals(good, digests.get("same").asInt(), s::toString);
        assertEquals(0, digests.get("differ").asInt(), s::toString);
        assertEquals(0, digests.get("missingAtMock").asInt(), s::toString);
        assertEquals(0, digests.get("acceptedAtMockNotAtClient").asInt(), s::toString);
        JsonNode mockAfterPushy = s.get("mockAfterPushy");
        assertEquals(good, mockAfterPushy.get("accepted").asInt(), s::toString);
        assertEquals(good, mockAfterPushy.get("acceptedWithAuthorization").asInt(), s::toString);
        assertEquals(Map.of("BadDeviceToken", bad), PeersScenarioTest.counts(mockAfterPushy.get("rejected")),
                s::toString);

        // Go: h2 to relay-pre, every answer once, right status, apns-id and reason.
        JsonNode go = s.get("go");
        assertEquals(0, go.get("exitCode").asInt(), s::toString);
        assertEquals(GO_COUNT, go.get("answered").asInt(), s::toString);
        assertEquals(0, go.get("answeredMoreThanOnce").asInt(), s::toString);
        assertEquals(0, go.get("wrong").size(), s::toString);
        assertEquals(0, go.get("otherOutput").size(), s::toString);
        assertEquals(Map.of("200 HTTP/2.0", goGood, "400 HTTP/2.0 {\"reason\":\"BadDeviceToken\"}", goBad),
                PeersScenarioTest.counts(go.get("byStatus")), s::toString);

        // The mock, at the end: both senders' notifications, each once.
        JsonNode mock = s.get("mock");
        assertEquals(good + goGood, mock.get("accepted").asInt(), s::toString);
        assertEquals(good + goGood, mock.get("acceptedWithAuthorization").asInt(), s::toString);
        assertEquals(0, mock.get("acceptedWithoutId").asInt(), s::toString);
        assertEquals(0, mock.get("duplicates").asInt(), s::toString);
        assertEquals(Map.of("BadDeviceToken", bad + goBad), PeersScenarioTest.counts(mock.get("rejected")),
                s::toString);

        // Both relays: the same counts in their metrics, every planned notification once in their
        // access logs with the mock's status. Go's :authority names relay-pre's port (Pushy's does
        // not); relay-post sees the bare name relay-pre sends on in Forwarded.
        String goAuthority = E2ePki.APNS_HOST + ":" + s.get("relayPrePort").asInt();
        Map<String, Integer> preAuthorities = Map.of(E2ePki.APNS_HOST + " 200", good, E2ePki.APNS_HOST + " 400", bad,
                goAuthority + " 200", goGood, goAuthority + " 400", goBad);
        Map<String, Integer> postAuthorities = Map.of(E2ePki.APNS_HOST + " 200", good + goGood,
                E2ePki.APNS_HOST + " 400", bad + goBad);
        for (String name : new String[] {"relayPre", "relayPost"}) {
            JsonNode relay = s.get(name);
            assertEquals(Map.of("200 -", good + goGood, "400 -", bad + goBad),
                    PeersScenarioTest.counts(relay.get("requests")), name + ": " + s);
            assertEquals(total, relay.get("accessLogLines").asInt(), name + ": " + s);
            JsonNode log = relay.get("accessLog");
            assertEquals(total, log.get("lines").asInt(), name + ": " + s);
            assertEquals(name.equals("relayPre") ? preAuthorities : postAuthorities,
                    PeersScenarioTest.counts(log.get("byAuthorityAndStatus")), name + ": " + s);
            assertEquals(0, log.get("missing").asInt(), name + ": " + s);
            assertEquals(0, log.get("moreThanOnce").asInt(), name + ": " + s);
            assertEquals(0, log.get("wrongStatus").asInt(), name + ": " + s);
            assertEquals(0, log.get("notPlanned").asInt(), name + ": " + s);
            PeersScenarioTest.assertRelayClean(relay, s);
        }

        // Squid inspected and logged every request, once, as HTTP/1.1 to relay-post's URL.
        JsonNode squid = s.get("squid");
        assertEquals(total, squid.get("posts").asInt(), s::toString);
        assertEquals(Map.of("TCP_MISS/200", good + goGood, "TCP_MISS/400", bad + goBad),
                PeersScenarioTest.counts(squid.get("byStatus")), s::toString);
        assertEquals(0, squid.get("missing").asInt(), s::toString);
        assertEquals(0, squid.get("moreThanOnce").asInt(), s::toString);
        assertEquals(0, squid.get("wrongStatus").asInt(), s::toString);
        assertEquals(0, squid.get("otherUrls").size(), s::toString);
        // Besides them: the tunnels relay-pre opened to relay-post (CONNECT, bumped), and the
        // fixture's readiness probe (a connection without a request), nothing else.
        Map<String, Integer> other = PeersScenarioTest.counts(squid.get("otherLines"));
        String connect = "CONNECT NONE_NONE/200 " + ChainScenario.POST_HOST + ":" + s.get("relayPostPort").asInt();
        assertTrue(other.getOrDefault(connect, 0) >= 1, s::toString);
        assertTrue(Set.of(connect, "- NONE_NONE/0").containsAll(other.keySet()), s::toString);
    }

    /** Notifications {@code from..to-1} planned with a malformed token. */
    private static int bad(int from, int to) {
        int n = 0;
        for (int i = from; i < to; i++) {
            n += Notifications.isBad(i, BAD_EVERY) ? 1 : 0;
        }
        return n;
    }
}
