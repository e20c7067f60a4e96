package io.pushrelay.core.upstream;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.connect.UpstreamProtocol;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.policy.Route;
import java.util.Objects;
import org.slf4j.LoggerFactory;

/**
 * The upstream of a chained relay-pre ({@code via}): every request, whatever its route, goes as
 * HTTP/1.1 to one endpoint, relay-post, which turns it back into HTTP/2; so that a legacy
 * TLS-inspecting proxy between the two sees, and audits, each request. Connections are opened by
 * a {@link Connector} (directly, or through the corporate proxy with {@code CONNECT}) to
 * {@link ViaEndpoint#route()}: for {@code https}, TLS with SNI and certificate check on the via
 * host, ALPN {@code http/1.1} (the connector's {@link UpstreamProtocol#HTTP_1_1}), trust and
 * client certificate from the connector's config; for {@code http}, a raw tunnel.
 *
 * <p><b>Requests.</b> {@code METHOD /path HTTP/1.1} in origin-form; the authority (the route's,
 * e.g. {@code api.push.apple.com}) in {@code Host} or in {@code Forwarded: host=} as
 * {@link Http1UpstreamConfig.AuthorityHeader} says; the request's regular headers
 * ({@code authorization} untouched); the body with {@code Content-Length}. One request at a time
 * per connection: HTTP/1.1 pipelining through proxies is unsafe, so concurrency comes from up to
 * {@code maxConnectionsPerLoop} keep-alive connections per event loop, and waiting requests queue
 * (bounded).
 *
 * <p><b>Answers.</b> Every request is answered exactly once through its sink: the upstream's
 * response (status, headers without hop-by-hop ones, whole body, {@code upstreamConnection} =
 * e.g. {@code v3}), or a relay-made one: {@code PROXY_*}/{@code UPSTREAM_UNAVAILABLE}/
 * {@code UPSTREAM_TLS_FAILED} when no connection can be made (at once while backing off),
 * {@code OVERLOADED} when the queue is full, {@code UPSTREAM_RESET} when a connection ends
 * without a complete answer or the answer is malformed or too large, {@code UPSTREAM_TIMEOUT}
 * after {@code requestTimeout}, {@code SHUTTING_DOWN} once draining or closed,
 * {@code BAD_REQUEST} for a request that cannot be written as HTTP/1.1 (CR or LF in a field),
 * {@code METHOD_NOT_ALLOWED} for {@code HEAD} and {@code CONNECT}. A request is sent again
 * (once, on a connection proven alive) only when not one of its bytes reached the socket; see
 * {@link H1Connection} for why the keep-alive race is not retried.
 *
 * <p><b>Threading.</b> {@link #send} may be called from any thread. Called on an event loop (the
 * downstream channel's), the request goes on a connection of that same loop: no thread hop.
 * Called elsewhere, a loop of the group takes it. Each loop has its own connections and limits;
 * the answer reaches the sink on that loop.
 *
 * <p><b>Buffers.</b> {@code send} takes ownership of the request's body and releases it once the
 * request is answered; the response's body belongs to the sink.
 */
public final class Http1Upstream extends LoopPoolUpstream<H1LoopPool, H1Metrics> {
    private final ViaEndpoint via;
    private final Http1UpstreamConfig config;

    /**
     * @param connector opens the connections (direct or through the proxy); for an {@code https}
     *                  endpoint it must be configured with {@link UpstreamProtocol#HTTP_1_1}, the
     *                  via CA ({@code upstreamCa}) and the client certificate; not closed here
     * @param via       the one endpoint every request goes to
     * @param config    limits and timers
     * @param group     the loops that take requests sent from outside any event loop; not shut down here
     * @throws IllegalArgumentException when an {@code https} endpoint's connector would negotiate h2
     */
    public Http1Upstream(Connector connector, ViaEndpoint via, Http1UpstreamConfig config, EventLoopGroup group) {
        super(LoggerFactory.getLogger(Http1Upstream.class), "HTTP/1.1 upstream " + via, "http1-upstream-close", "v",
                true, connector, group, new H1Metrics());
        this.via = Objects.requireNonNull(via, "via");
        this.config = Objects.requireNonNull(config, "config");
        if (via.tls() && connector.config().protocol() != UpstreamProtocol.HTTP_1_1) {
            throw new IllegalArgumentException("via " + via + ": the connector offers "
                    + connector.config().protocol().alpnId() + " by ALPN; HTTP/1.1 needs a connector built with "
                    + "ConnectorConfig.withProtocol(UpstreamProtocol.HTTP_1_1)");
        }
    }

    /**
     * Sends {@code request} to the via endpoint. {@code route} gives the authority the request is
     * meant for; its {@code host:port} play no part (every request goes to the via endpoint).
     */
    @Override
    public void send(Route route, RelayRequest request, ResponseSink sink) {
        super.send(route, request, sink);
    }

    /** Current counters. Safe from any thread. */
    public Http1UpstreamStats stats() {
        return metrics().snapshot();
    }

    public ViaEndpoint via() {
        return via;
    }

    public Http1UpstreamConfig config() {
        return config;
    }

    @Override
    H1LoopPool newLoopPart(EventLoop loop) {
        return new H1LoopPool(this, loop);
    }
}
