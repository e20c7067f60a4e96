package io.pushrelay.core.upstream;

/**
 * A snapshot of an {@link Http1Upstream}'s counters, for metrics. Gauges are current values; the
 * rest count since it started.
 *
 * @param connectionsOpen        connections ready (idle or busy)
 * @param connectionsBusy        connections carrying a request now
 * @param connectionsOpening     connections being opened (TCP, CONNECT, TLS)
 * @param pendingRequests        requests waiting for a connection
 * @param requests               requests accepted by {@code send}
 * @param responses              upstream answers relayed (any status)
 * @param retries                requests sent again because the first connection provably took
 *                               none of their bytes
 * @param resets                 requests answered {@code UPSTREAM_RESET}
 * @param timeouts               requests answered {@code UPSTREAM_TIMEOUT}
 * @param overloaded             requests answered {@code OVERLOADED}
 * @param connectFailures        connection attempts that failed
 * @param connectionsOpened      connections that became ready
 * @param reusedRequests         requests sent on a connection that had answered one before
 * @param closedIdleByUpstream   idle keep-alive connections the upstream closed
 * @param keepAliveRaces         requests on a reused connection that the upstream closed before any
 *                               byte of the answer (answered {@code UPSTREAM_RESET}, not retried)
 */
public record Http1UpstreamStats(int connectionsOpen, int connectionsBusy, int connectionsOpening,
                                 int pendingRequests, long requests, long responses, long retries, long resets,
                                 long timeouts, long overloaded, long connectFailures, long connectionsOpened,
                                 long reusedRequests, long closedIdleByUpstream, long keepAliveRaces) {
}
