package io.pushrelay.core.upstream;

/**
 * A snapshot of an {@link UpstreamPool}'s counters, for metrics. Gauges are current values;
 * the rest count since the pool started.
 *
 * @param connectionsOpen    HTTP/2 connections ready or draining
 * @param connectionsOpening connections being opened (TCP, CONNECT, TLS, first SETTINGS)
 * @param streamsInFlight    open upstream streams
 * @param pendingRequests    requests queued for a connection
 * @param requests           requests accepted by {@code send}
 * @param responses          upstream answers relayed (any status)
 * @param retries            requests sent again after REFUSED_STREAM or a GOAWAY above them
 * @param resets             requests answered {@code UPSTREAM_RESET}
 * @param timeouts           requests answered {@code UPSTREAM_TIMEOUT}
 * @param overloaded         requests answered {@code OVERLOADED}
 * @param connectFailures    connection attempts that failed
 * @param goAways            GOAWAY frames received
 */
public record UpstreamStats(int connectionsOpen, int connectionsOpening, int streamsInFlight, int pendingRequests,
                            long requests, long responses, long retries, long resets, long timeouts,
                            long overloaded, long connectFailures, long goAways) {
}
