package io.pushrelay.core.upstream;

import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.ScheduledFuture;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.policy.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request on its way through the {@link Http1Upstream}, from {@code send} to its single
 * answer. Confined to the event loop of its {@link H1LoopPool}. Owns the request's body until
 * {@link #respond} releases it; each write sends a retained duplicate, so that a retry can send
 * it again.
 */
final class H1Exchange {
    private static final Logger LOG = LoggerFactory.getLogger(H1Exchange.class);

    final Route route;
    final RelayRequest request;
    private final ResponseSink sink;
    private final H1LoopPool pool;

    ScheduledFuture<?> timeout;
    /** Answered; nothing may touch it any more. */
    boolean done;
    /** In a pending queue of its loop pool. */
    boolean queued;
    /** Sent again once already (after a connection provably took none of its bytes). */
    boolean retried;
    /** The connection of the current attempt, when written. */
    H1Connection connection;

    H1Exchange(Route route, RelayRequest request, ResponseSink sink, H1LoopPool pool) {
        this.route = route;
        this.request = request;
        this.sink = sink;
        this.pool = pool;
    }

    /** Answers with a relay-made response. */
    void fail(RelayError error, String why) {
        if (done) {
            return;
        }
        String connectionId = connection != null ? connection.id() : "-";
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} {}: {} [{}] {}", request.downstreamId(), request.method(), route.authority(),
                    error.reason(), connectionId, why);
        }
        RelayResponse made = RelayResponse.of(error, ByteBufAllocator.DEFAULT);
        respond(new RelayResponse(made.status(), made.headers(), made.body(), error, connectionId));
    }

    /** Answers exactly once: a second answer is released and logged as a bug. Takes ownership of {@code response}. */
    void respond(RelayResponse response) {
        if (done) {
            response.release();
            LOG.error("bug: second answer for {} {} dropped", request.downstreamId(), request.method());
            return;
        }
        done = true;
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
        request.release();
        pool.exchangeDone(response.error());
        try {
            sink.respond(response);
        } catch (Throwable t) {
            LOG.warn("response sink of {} failed", request.downstreamId(), t);
        }
    }
}
