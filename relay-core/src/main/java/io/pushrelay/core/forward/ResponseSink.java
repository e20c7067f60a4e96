package io.pushrelay.core.forward;

/**
 * Where the answer to one request goes. Exactly one call to {@link #respond} per request:
 * implementations accept it from any thread, hop to their own event loop, and ignore (and
 * release) any second answer, logging it as a bug, so that no request is answered twice.
 */
@FunctionalInterface
public interface ResponseSink {
    /** Takes ownership of {@code response} and its body. */
    void respond(RelayResponse response);
}
