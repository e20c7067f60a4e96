package io.pushrelay.core.cli;

import java.time.Duration;

/**
 * A started relay as its command drives it: reloaded on SIGHUP, drained and closed on SIGTERM.
 *
 * @param <C> the role's config record
 */
public interface RunningRelay<C> extends AutoCloseable {
    /** Applies a changed config (certificates, routes, restrictions) without dropping a connection. */
    void reload(C next);

    /** Stops accepting and waits up to {@code timeout} for exchanges in flight; true if they all finished. */
    boolean drain(Duration timeout);

    @Override
    void close();
}
