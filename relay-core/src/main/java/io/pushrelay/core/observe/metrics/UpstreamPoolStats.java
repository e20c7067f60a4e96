package io.pushrelay.core.observe.metrics;

/**
 * What an upstream pool reports at scrape time for the gauges
 * {@code push_relay_upstream_connections_open} and {@code push_relay_upstream_streams_active}.
 *
 * <p>Thread: called on the scraping thread (the admin server's event loop), never on the
 * pool's own; implementations read counters the pool keeps in volatile or atomic fields, and
 * never block.
 */
public interface UpstreamPoolStats {
    /** Upstream connections currently open (connected and ready, or draining). */
    int connectionsOpen();

    /** Streams currently in flight over those connections. */
    int streamsActive();
}
