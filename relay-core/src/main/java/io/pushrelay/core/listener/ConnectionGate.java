package io.pushrelay.core.listener;

import java.net.InetSocketAddress;

/**
 * Decides on every connection a listener accepts, before a byte of it is read: a role's
 * source-address allowlist and per-client connection limit. A refused connection is closed at
 * once (no TLS handshake, nothing parsed); the gate logs and counts why. For every admitted
 * connection {@link #closed} follows exactly once, when it closes.
 *
 * <p>Threads: called on the accepted connection's event loop, from many loops at once; must be
 * thread-safe and must not block.
 */
public interface ConnectionGate {
    /** Admits everyone. */
    ConnectionGate OPEN = new ConnectionGate() {
        @Override
        public boolean admit(InetSocketAddress remote) {
            return true;
        }

        @Override
        public void closed(InetSocketAddress remote) {
        }
    };

    /**
     * @param remote the downstream's address (null for a channel without an IP address)
     * @return true to admit the connection, false to close it now
     */
    boolean admit(InetSocketAddress remote);

    /** An admitted connection from {@code remote} has closed. */
    void closed(InetSocketAddress remote);
}
