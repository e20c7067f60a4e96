package io.pushrelay.core.sim;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What an {@link FcmSimulator} has done so far.
 *
 * @param accepted           messages answered 200 with a name
 * @param tokensIssued       access tokens issued by {@code POST /token}
 * @param rejected           requests answered with an error (messages and token requests)
 * @param rejectedByStatus   Google status ({@code UNAUTHENTICATED}, {@code NOT_FOUND}, ...) or OAuth
 *                           error ({@code invalid_grant}, ...) to count, sorted
 * @param requestsByProtocol {@code h2}, {@code h2-prior-knowledge}, {@code http/1.1} to request count
 * @param connectionsOpened  TCP connections accepted
 * @param connectionsOpen    TCP connections open now
 * @param handshakeFailures  TLS handshakes that failed
 * @param connections        per connection: the most recent closed ones, then the open ones
 */
public record FcmSimSnapshot(long accepted, long tokensIssued, long rejected, Map<String, Long> rejectedByStatus,
                             Map<String, Long> requestsByProtocol, long connectionsOpened, int connectionsOpen,
                             long handshakeFailures, List<ConnectionStats> connections) {
    public FcmSimSnapshot {
        rejectedByStatus = Collections.unmodifiableMap(new TreeMap<>(rejectedByStatus));
        requestsByProtocol = Collections.unmodifiableMap(new TreeMap<>(requestsByProtocol));
        connections = List.copyOf(connections);
    }

    public long rejected(String status) {
        return rejectedByStatus.getOrDefault(status, 0L);
    }

    /** One line: {@code accepted 10, tokens issued 1, rejected 2 (NOT_FOUND 1, UNAUTHENTICATED 1), ...}. */
    public String summary() {
        String statuses = rejectedByStatus.isEmpty() ? ""
                : rejectedByStatus.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                        .collect(Collectors.joining(", ", " (", ")"));
        String protocols = requestsByProtocol.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", "));
        return "accepted " + accepted + ", tokens issued " + tokensIssued + ", rejected " + rejected + statuses
                + ", connections " + connectionsOpened + (protocols.isEmpty() ? "" : ", requests by protocol: "
                + protocols) + ", TLS handshake failures " + handshakeFailures;
    }
}
