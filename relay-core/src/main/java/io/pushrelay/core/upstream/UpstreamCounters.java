package io.pushrelay.core.upstream;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters every {@link LoopPoolUpstream} keeps, updated from every event loop; a subclass
 * adds those of its protocol and reads them all through {@link #snapshot()}.
 */
abstract class UpstreamCounters {
    final AtomicInteger connectionsOpen = new AtomicInteger();
    final AtomicInteger connectionsOpening = new AtomicInteger();
    final AtomicInteger pending = new AtomicInteger();
    final LongAdder requests = new LongAdder();
    final LongAdder responses = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder resets = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final LongAdder overloaded = new LongAdder();
    final LongAdder connectFailures = new LongAdder();

    /** The counters now, as the upstream's public stats record. */
    abstract Object snapshot();

    /** No connection open, none opening. */
    final boolean noConnections() {
        return connectionsOpen.get() == 0 && connectionsOpening.get() == 0;
    }
}
