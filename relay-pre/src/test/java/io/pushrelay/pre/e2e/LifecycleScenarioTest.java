package io.pushrelay.pre.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code push-relay pre} under Pushy load (thousands of notifications, by name, through Squid
 * to Pushy's mock): a quarter in, its TLS certificate file is re-issued (same path) and it gets
 * SIGHUP; a new connection must then be shown the new certificate while the load goes on
 * untouched. Half-way, SIGTERM: it stops accepting, keeps serving the connection it has until
 * the sender is done, and exits 0 within the drain timeout. Not one notification may fail, and
 * every one the mock accepted must have been answered to the sender.
 */
class LifecycleScenarioTest {
    static final int COUNT = 3000;
    static final int BAD_EVERY = 20;
    static final int DRAIN_SECONDS = 30;

    @TempDir
    Path dir;

    @Test
    void sighupWithANewCertificateThenSigtermUnderLoadShouldFailNothing() {
        E2ePki pki = E2ePki.create(dir.resolve("pki"));
        JsonNode s = Scenario.run(pki, dir, Duration.ofSeconds(150), "--mode", "lifecycle", "--count",
                Integer.toString(COUNT), "--in-flight", "100", "--bad-every", Integer.toString(BAD_EVERY),
                "--drain-seconds", Integer.toString(DRAIN_SECONDS));
        System.out.println("lifecycle scenario: " + s);
        int bad = COUNT / BAD_EVERY;
        JsonNode events = s.get("events");
        assertNull(events.get("controllerError"), s::toString);

        // SIGHUP happened under load, and new handshakes get the re-issued certificate.
        assertTrue(events.get("answeredAtHup").asInt() < COUNT, s::toString);
        assertTrue(events.get("answeredAfterHupCheck").asInt() < COUNT, "the load was still running:" + s);
        assertEquals(events.get("issuedSerial").asText(), events.get("servedSerialAfterHup").asText(), s::toString);
        assertNotEquals(s.get("servedSerialBefore").asText(), events.get("servedSerialAfterHup").asText(), s::toString);

        // SIGTERM happened under load too.
        assertTrue(events.get("answeredAtTerm").asInt() < COUNT, s::toString);

        JsonNode client = s.get("client");
        assertEquals(0, client.get("failed").asInt(), s::toString);
        assertEquals(0, client.get("unanswered").asInt(), s::toString);
        assertEquals(0, client.get("notSent").asInt(), s::toString);
        assertEquals(COUNT - bad, client.get("accepted").asInt(), s::toString);
        assertEquals(bad, client.get("rejected").get("400 BadDeviceToken").asInt(), s::toString);
        JsonNode digests = s.get("digests");
        assertEquals(COUNT - bad, digests.get("same").asInt(), s::toString);
        assertEquals(0, digests.get("acceptedAtMockNotAtClient").asInt(), s::toString);
        assertEquals(COUNT - bad, s.get("mock").get("accepted").asInt(), s::toString);
        assertEquals(0, s.get("mock").get("duplicates").asInt(), s::toString);

        JsonNode relay = s.get("relay");
        assertEquals(0, relay.get("exitCode").asInt(), s::toString);
        long exitMillis = relay.get("millisFromTermToExitSeen").asLong();
        assertTrue(exitMillis >= 0 && exitMillis < DRAIN_SECONDS * 1000L, s::toString);
        assertEquals(0, relay.get("leaks").size(), s::toString);
        assertEquals(COUNT, relay.get("accessLogLines").asInt(), s::toString);
        String log = relay.get("stderr").toString();
        assertTrue(log.contains("certificates reloaded"), s::toString);
        assertTrue(log.contains("SIGTERM: draining"), s::toString);
        assertTrue(log.contains("relay-pre: stopped\""), s::toString);
        assertFalse(log.contains("drain timeout reached"), s::toString);
        assertFalse(log.contains("WARN") || log.contains("ERROR"), s::toString);
    }
}
