package io.pushrelay.core.policy;

import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;

/**
 * One check a request must pass once its route is known: allowed methods, paths, body size,
 * and later source addresses, client identities, rate limits. Rules run in order on the
 * downstream connection's event loop and must not block; implementations are shared by every
 * connection and must be thread-safe.
 */
@FunctionalInterface
public interface PolicyRule {
    /**
     * Looks at a request; does not take ownership of it.
     *
     * @return null to let the request through, or the refusal to answer with
     */
    RelayError check(RelayRequest request, Route route, Downstream downstream);
}
