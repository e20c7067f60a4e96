package io.pushrelay.core.admin;

import java.util.Objects;

/**
 * Whether the relay takes traffic, for {@code GET /readyz}: ready once its listeners are
 * bound and its upstreams reachable. {@code reason} is shown to whoever asks, so it names the
 * missing part (a listener, a route) and never a secret.
 *
 * @param ready  true when the relay takes traffic
 * @param reason why not, one line; empty when ready
 */
public record Readiness(boolean ready, String reason) {
    /** Ready. */
    public static final Readiness READY = new Readiness(true, "");

    public Readiness {
        Objects.requireNonNull(reason, "reason");
        if (!ready && reason.isBlank()) {
            throw new IllegalArgumentException("a relay that is not ready must say why");
        }
        // One line: the body is plain text and the reason may end up in a log line.
        reason = reason.replaceAll("[\\r\\n]+", " ").strip();
    }

    public static Readiness notReady(String reason) {
        return new Readiness(false, reason);
    }
}
