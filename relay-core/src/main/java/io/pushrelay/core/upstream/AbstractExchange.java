package io.pushrelay.core.upstream;

import io.netty.buffer.ByteBufAllocator;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.policy.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request on its way through a {@link LoopPoolUpstream}, from {@code send} to its single
 * answer: the part common to HTTP/2 ({@link Exchange}) and HTTP/1.1 ({@link H1Exchange}).
 * Confined to the event loop of its pool. Owns the request's body until {@link #respond}
 * releases it; each write upstream sends a retained duplicate, so that a retry can send it again.
 */
abstract class AbstractExchange {
    private static final Logger LOG = LoggerFactory.getLogger(AbstractExchange.class);

    final Route route;
    final RelayRequest request;
    private final ResponseSink sink;

    /** Answered; nothing may touch it any more. */
    boolean done;
    /** In a pending queue of its pool. */
    boolean queued;

    AbstractExchange(Route route, RelayRequest request, ResponseSink sink) {
        this.route = route;
        this.request = request;
        this.sink = sink;
    }

    /** The id of the connection of the current attempt, or {@code -} when not written. */
    abstract String connectionId();

    /** Answered: stops the timeout, forgets the current attempt (releasing what it holds). */
    abstract void settle();

    /** Tells the pool that the request is answered, with {@code error} (null: the upstream's answer). */
    abstract void answered(RelayError error);

    /** Answers with a relay-made response. */
    final void fail(RelayError error, String why) {
        if (done) {
            return;
        }
        String connectionId = connectionId();
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} {}: {} [{}] {}", request.downstreamId(), request.method(), route.authority(),
                    error.reason(), connectionId, why);
        }
        RelayResponse made = RelayResponse.of(error, ByteBufAllocator.DEFAULT);
        respond(new RelayResponse(made.status(), made.headers(), made.body(), error, connectionId));
    }

    /** Answers exactly once: a second answer is released and logged as a bug. Takes ownership of {@code response}. */
    final void respond(RelayResponse response) {
        if (done) {
            response.release();
            LOG.error("bug: second answer for {} {} dropped", request.downstreamId(), request.method());
            return;
        }
        done = true;
        settle();
        request.release();
        answered(response.error());
        try {
            sink.respond(response);
        } catch (Throwable t) {
            LOG.warn("response sink of {} failed", request.downstreamId(), t);
        }
    }
}
