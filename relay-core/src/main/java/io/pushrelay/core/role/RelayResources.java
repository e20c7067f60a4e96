package io.pushrelay.core.role;

import io.netty.channel.EventLoopGroup;
import io.pushrelay.core.admin.Readiness;
import io.pushrelay.core.listener.RelayListener;
import io.pushrelay.core.transport.Transports;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a role's relay owns and stops: its event loop groups ({@code <role>-accept} with one
 * thread, {@code <role>-io}), the things closed on {@link #close()} in their order, and the
 * upstreams drained on {@link #drain}. Registration happens while the relay starts (one thread);
 * {@link #drain} and {@link #close} may be called from any thread but the groups' own loops.
 */
public final class RelayResources implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RelayResources.class);

    /** Something that stops taking work and finishes what it has within a grace period. */
    @FunctionalInterface
    public interface Drainable {
        /** Completes when all is finished or {@code grace} has passed (what is left is then closed). */
        CompletableFuture<Void> drain(Duration grace);
    }

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<Drainable> upstreams = new ArrayList<>();
    private volatile boolean draining;

    /** @param role the prefix of the groups' thread names: {@code pre}, {@code post} */
    public RelayResources(String role) {
        this.boss = Transports.newGroup(role + "-accept", 1);
        this.workers = Transports.newWorkerGroup(role + "-io");
    }

    /** Accepts downstream connections. */
    public EventLoopGroup boss() {
        return boss;
    }

    /** Serves downstream and upstream connections. */
    public EventLoopGroup workers() {
        return workers;
    }

    /** Closes {@code c} before everything registered so far. Returns {@code c}. */
    public <T extends AutoCloseable> T closeFirst(T c) {
        closeables.add(0, c);
        return c;
    }

    /** Closes {@code c} after everything registered so far. Returns {@code c}. */
    public <T extends AutoCloseable> T closeLast(T c) {
        closeables.add(c);
        return c;
    }

    /** Drains {@code upstream} on {@link #drain}, after the downstream side, in the order registered. */
    public void drainUpstream(Drainable upstream) {
        upstreams.add(upstream);
    }

    /** Since {@link #drain} was called. */
    public boolean draining() {
        return draining;
    }

    /** For the admin endpoint: not ready while draining, nor before the listener is bound. */
    public Readiness readiness(boolean bound) {
        if (draining) {
            return Readiness.notReady("draining");
        }
        return bound ? Readiness.READY : Readiness.notReady("listener not bound");
    }

    /**
     * Stops accepting, lets downstream exchanges in flight finish ({@code listener}'s drain;
     * null: no listener), runs {@code thenStop} (null: nothing; e.g. closing a passthrough
     * server), then drains the upstreams within what is left of {@code timeout}. Returns true
     * when all finished in time; {@link #close} afterwards either way.
     */
    public boolean drain(Duration timeout, RelayListener listener, Runnable thenStop) {
        draining = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean clean = true;
        if (listener != null) {
            try {
                listener.drain().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                clean = false;
                LOG.warn("drain: downstream connections still open after {}", timeout);
            }
        }
        if (thenStop != null) {
            thenStop.run();
        }
        List<CompletableFuture<Void>> drains = new ArrayList<>();
        Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        for (Drainable upstream : upstreams) {
            drains.add(upstream.drain(left));
        }
        try {
            CompletableFuture.allOf(drains.toArray(CompletableFuture[]::new))
                    .get(Math.max(1, left.toMillis()) + 1000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            clean = false;
        }
        return clean;
    }

    /** Closes what was registered, in order, then shuts the groups down. */
    @Override
    public void close() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("close {}", c, e);
            }
        }
        closeables.clear();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
