package io.pushrelay.core.inbound;

import io.netty.util.concurrent.EventExecutor;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.forward.ResponseSink;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The answer slot of one inbound exchange. Enforces exactly once: the first
 * {@link #respond} wins, from any thread, and is delivered on the downstream connection's
 * event loop; a second answer is released and logged as a bug. When the event loop no longer
 * takes tasks (shut down), the answer is released.
 *
 * <p>Buffer ownership: {@link #respond} takes the response; {@link #deliver} must write it
 * (the write releases the body) or release it, in particular when the downstream has gone.
 */
public abstract class ExchangeSink implements ResponseSink {
    private static final Logger LOG = LoggerFactory.getLogger(ExchangeSink.class);
    private static final AtomicIntegerFieldUpdater<ExchangeSink> ANSWERED =
            AtomicIntegerFieldUpdater.newUpdater(ExchangeSink.class, "answered");
    private static final LongAdder DUPLICATES = new LongAdder();

    private final EventExecutor executor;
    private volatile int answered;

    protected ExchangeSink(EventExecutor executor) {
        this.executor = executor;
    }

    /** How many second answers were ignored in this JVM: a bug counter that should stay 0. */
    public static long duplicateAnswers() {
        return DUPLICATES.sum();
    }

    public final boolean isAnswered() {
        return answered != 0;
    }

    @Override
    public final void respond(RelayResponse response) {
        if (response == null) {
            LOG.error("bug: null answer for {}", this);
            return;
        }
        if (!ANSWERED.compareAndSet(this, 0, 1)) {
            DUPLICATES.increment();
            LOG.error("bug: second answer (status {}) for {} ignored", response.status(), this,
                    new IllegalStateException("answered twice"));
            response.release();
            return;
        }
        if (executor.inEventLoop()) {
            deliverSafely(response);
            return;
        }
        try {
            executor.execute(() -> deliverSafely(response));
        } catch (RejectedExecutionException e) {
            response.release();
        }
    }

    private void deliverSafely(RelayResponse response) {
        try {
            deliver(response);
        } catch (RuntimeException e) {
            LOG.error("failed to deliver the answer for {}", this, e);
            response.release();
        }
    }

    /** Writes {@code response} downstream, or releases it. Runs on the connection's event loop. */
    protected abstract void deliver(RelayResponse response);
}
