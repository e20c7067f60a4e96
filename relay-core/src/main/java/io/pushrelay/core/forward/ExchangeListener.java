package io.pushrelay.core.forward;

import io.pushrelay.core.policy.Route;

/**
 * Told once of every answered exchange, on the thread that answered it (any thread): for
 * metrics. Must be quick and must not touch the response's body.
 */
@FunctionalInterface
public interface ExchangeListener {
    ExchangeListener NONE = (request, route, response, answeredNanos) -> { };

    /**
     * @param route         the route, or null when the request matched none
     * @param answeredNanos {@link System#nanoTime()} when the answer came
     */
    void answered(RelayRequest request, Route route, RelayResponse response, long answeredNanos);
}
