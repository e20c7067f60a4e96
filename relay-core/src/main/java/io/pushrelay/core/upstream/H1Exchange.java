package io.pushrelay.core.upstream;

import io.netty.util.concurrent.ScheduledFuture;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.policy.Route;

/**
 * One request on its way through the {@link Http1Upstream}, from {@code send} to its single
 * answer (see {@link AbstractExchange}): the attempt on an HTTP/1.1 connection. Confined to the
 * event loop of its {@link H1LoopPool}.
 */
final class H1Exchange extends AbstractExchange {
    private final H1LoopPool pool;

    ScheduledFuture<?> timeout;
    /** Sent again once already (after a connection provably took none of its bytes). */
    boolean retried;
    /** The connection of the current attempt, when written. */
    H1Connection connection;

    H1Exchange(Route route, RelayRequest request, ResponseSink sink, H1LoopPool pool) {
        super(route, request, sink);
        this.pool = pool;
    }

    @Override
    String connectionId() {
        return connection != null ? connection.id() : "-";
    }

    @Override
    void settle() {
        if (timeout != null) {
            timeout.cancel(false);
            timeout = null;
        }
    }

    @Override
    void answered(RelayError error) {
        pool.exchangeDone(error);
    }
}
