package io.pushrelay.core.role;

import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.upstream.Upstream;

/**
 * The upstream, set once the listener's address is known (so that direct mode can avoid
 * connecting to it). Until then a request is answered {@code SHUTTING_DOWN}. Safe from any
 * thread. Buffers: as {@link Upstream#send}: takes ownership of the request's body.
 */
public final class DeferredUpstream implements Upstream {
    private volatile Upstream delegate;

    public void set(Upstream upstream) {
        this.delegate = upstream;
    }

    @Override
    public void send(Route route, RelayRequest request, ResponseSink sink) {
        Upstream d = delegate;
        if (d == null) {
            RelayResponse busy = RelayResponse.of(RelayError.SHUTTING_DOWN, request.body().alloc());
            request.release();
            sink.respond(busy);
            return;
        }
        d.send(route, request, sink);
    }
}
