package io.pushrelay.core.sim;

/**
 * The service behind a simulator's HTTP listener: turns one request into one answer. Called
 * on the connection's event loop; must not block. Implementations count what they answer.
 */
interface SimService {
    SimResponse handle(SimRequest request, SimConnection connection);
}
