package io.pushrelay.core.policy;

import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;

/**
 * A check on who asks, before anything else about the request is looked at (its route in
 * particular, so that a refused client learns nothing of the route table): client identities,
 * request rates. Also applied to {@code CONNECT} requests before a tunnel is opened. Rules run
 * in order on the downstream connection's event loop and must not block; one instance serves
 * every connection and must be thread-safe.
 */
@FunctionalInterface
public interface AccessRule {
    /**
     * Looks at a request; does not take ownership of it.
     *
     * @return null to let the request through, or the refusal to answer with
     */
    RelayError check(RelayRequest request, Downstream downstream);
}
