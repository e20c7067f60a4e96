package io.pushrelay.core.upstream;

import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.policy.Route;

/**
 * Sends requests that passed policy to where their route points and answers each exactly
 * once through its sink: with the upstream's answer, or a relay-made one
 * ({@link io.pushrelay.core.forward.RelayError}). Takes ownership of the request's body.
 * Callable from any thread.
 */
public interface Upstream {
    void send(Route route, RelayRequest request, ResponseSink sink);
}
