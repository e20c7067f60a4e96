package io.pushrelay.core.inbound;

/**
 * Fired through a downstream connection's pipeline when its listener drains. The HTTP/2
 * handler then sends GOAWAY and closes once no stream is in flight (Pushy fails every stream
 * still in flight when it sees a GOAWAY, so it must not come earlier); the HTTP/1.1 handler
 * stops reading new requests, answers the ones it has with {@code Connection: close}, and
 * closes.
 */
public enum DrainEvent {
    INSTANCE
}
