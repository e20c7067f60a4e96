package io.pushrelay.core.sim;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What an {@link ApnsSimulator} has done so far.
 *
 * @param accepted           notifications answered 200
 * @param rejected           notifications answered with an error
 * @param rejectedByReason   APNS reason (e.g. {@code BadDeviceToken}) to count, sorted by reason
 * @param connectionsOpened  TCP connections accepted
 * @param connectionsOpen    TCP connections open now
 * @param handshakeFailures  TLS handshakes that failed
 * @param notHttp2           connections that spoke neither ALPN h2 nor the HTTP/2 preface
 * @param goAwaysSent        GOAWAY frames sent by the {@code goAwayAfterStreams} fault
 * @param connectionsDropped connections closed by the {@code dropAfterStreams} fault
 * @param connections        per connection: the most recent closed ones, then the open ones
 */
public record ApnsSimSnapshot(long accepted, long rejected, Map<String, Long> rejectedByReason,
                              long connectionsOpened, int connectionsOpen, long handshakeFailures, long notHttp2,
                              long goAwaysSent, long connectionsDropped, List<ConnectionStats> connections) {
    public ApnsSimSnapshot {
        rejectedByReason = java.util.Collections.unmodifiableMap(new TreeMap<>(rejectedByReason));
        connections = List.copyOf(connections);
    }

    /** How many were rejected for {@code reason}. */
    public long rejected(String reason) {
        return rejectedByReason.getOrDefault(reason, 0L);
    }

    /** One line: {@code accepted 5000, rejected 2 (BadDeviceToken 1, PayloadTooLarge 1), connections 3, ...}. */
    public String summary() {
        String reasons = rejectedByReason.isEmpty() ? ""
                : rejectedByReason.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                        .collect(Collectors.joining(", ", " (", ")"));
        return "accepted " + accepted + ", rejected " + rejected + reasons + ", connections " + connectionsOpened
                + ", TLS handshake failures " + handshakeFailures
                + (notHttp2 > 0 ? ", not HTTP/2 " + notHttp2 : "")
                + (goAwaysSent > 0 ? ", GOAWAYs sent " + goAwaysSent : "")
                + (connectionsDropped > 0 ? ", connections dropped " + connectionsDropped : "");
    }
}
