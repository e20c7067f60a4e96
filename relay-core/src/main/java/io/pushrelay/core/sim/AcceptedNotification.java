package io.pushrelay.core.sim;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

/**
 * One notification the APNS simulator accepted, as recorded for tests to check what arrived.
 *
 * @param deviceToken  the token from the path, as sent
 * @param apnsId       the {@code apns-id} answered (the request's, or the one the simulator made)
 * @param headers      the request's regular headers, lower-case names, {@code authorization} left out
 * @param payload      the body, byte for byte
 * @param team         the JWT's team ({@code iss}), or null without token auth
 * @param connectionId the simulator's id of the connection it came on
 * @param protocol     that connection's protocol ({@code h2} or {@code h2-prior-knowledge})
 * @param receivedAt   when it was answered
 */
public record AcceptedNotification(String deviceToken, String apnsId, Map<String, String> headers, byte[] payload,
                                   String team, String connectionId, String protocol, Instant receivedAt) {
    public AcceptedNotification {
        headers = Map.copyOf(headers);
        payload = payload.clone();
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    public String payloadUtf8() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /** A header's value, or null. */
    public String header(String name) {
        return headers.get(name);
    }

    public String topic() {
        return headers.get("apns-topic");
    }
}
