package io.pushrelay.core.inbound;

import java.util.Objects;

/**
 * What the inbound handlers of one listener need to know.
 *
 * @param scheme               {@code https} on a TLS listener, {@code http} on a plaintext one
 * @param maxConcurrentStreams HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS announced downstream
 * @param maxPipelinedRequests HTTP/1.1 requests read ahead of their answers on one connection
 * @param counters             where the handlers count
 * @param tunnels              opens terminated {@code CONNECT} tunnels; null: {@code CONNECT} is refused
 *                             (a listener without certificates, or a connection already inside a tunnel)
 */
public record InboundSettings(String scheme, int maxConcurrentStreams, int maxPipelinedRequests,
                              InboundCounters counters, TunnelTerminator tunnels) {
    /** Settings without {@code CONNECT} support. */
    public InboundSettings(String scheme, int maxConcurrentStreams, int maxPipelinedRequests,
                           InboundCounters counters) {
        this(scheme, maxConcurrentStreams, maxPipelinedRequests, counters, null);
    }

    public InboundSettings {
        Objects.requireNonNull(scheme, "scheme");
        Objects.requireNonNull(counters, "counters");
        if (maxConcurrentStreams < 1) {
            throw new IllegalArgumentException("maxConcurrentStreams must be at least 1: " + maxConcurrentStreams);
        }
        if (maxPipelinedRequests < 1) {
            throw new IllegalArgumentException("maxPipelinedRequests must be at least 1: " + maxPipelinedRequests);
        }
    }

    /** These settings for the connections inside a tunnel: {@code https}, no further {@code CONNECT}. */
    public InboundSettings insideTunnel() {
        return new InboundSettings("https", maxConcurrentStreams, maxPipelinedRequests, counters, null);
    }
}
