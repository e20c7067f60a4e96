package io.pushrelay.core.sim;

import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the simulators share: started once with a config ({@link #start}), a bound address, a
 * one-line description logged at start, and a close that stops every connection and logs the
 * counters' summary. A subclass binds its {@link SimServer} in {@link #bind} and keeps its own
 * service and counters. Thread-safe: the lifecycle is synchronized on the instance.
 *
 * @param <C> the simulator's config record
 */
public abstract class Simulator<C> implements AutoCloseable {
    private final Logger log = LoggerFactory.getLogger(getClass());

    private final String kind;
    private C config;
    private SimServer server;
    private InetSocketAddress bound;
    private boolean closed;

    /** @param kind the simulator's name in messages: {@code apns}, {@code fcm}, {@code proxy} */
    protected Simulator(String kind) {
        this.kind = kind;
    }

    /**
     * Binds and starts answering. Once per instance.
     *
     * @return the bound address (the real port when the config's listen address had port 0)
     * @throws IllegalStateException when already started, or {@code bind, <address>: <cause>}
     * @throws IllegalArgumentException when the config's TLS identity or client CA cannot be used
     */
    public final synchronized InetSocketAddress start(C config) {
        if (server != null) {
            throw new IllegalStateException(kind + " simulator already started on " + SimServer.format(bound));
        }
        this.server = bind(config);
        this.config = config;
        this.bound = server.address();
        log.info("{}", describe());
        return bound;
    }

    /** Builds the simulator's service for {@code config} and binds its listener. */
    protected abstract SimServer bind(C config);

    /** The one-line description, e.g. {@code apns simulator listening on 127.0.0.1:PORT (...)}. */
    public abstract String describe();

    /** The counters' one-line summary, logged at close. */
    protected abstract String summary();

    /** The bound address. */
    public final synchronized InetSocketAddress address() {
        requireStarted();
        return bound;
    }

    public final synchronized C config() {
        requireStarted();
        return config;
    }

    /** Closes every connection and stops; idempotent. */
    @Override
    public final synchronized void close() {
        if (server != null && !closed) {
            closed = true;
            server.close();
            log.info("{} simulator on {} stopped: {}", kind, SimServer.format(bound), summary());
        }
    }

    /** @throws IllegalStateException before {@link #start} */
    protected final void requireStarted() {
        if (server == null) {
            throw new IllegalStateException(kind + " simulator not started");
        }
    }
}
