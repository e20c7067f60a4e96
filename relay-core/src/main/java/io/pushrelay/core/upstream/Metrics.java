package io.pushrelay.core.upstream;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** The pool's counters, updated from every event loop; read through {@link #snapshot()}. */
final class Metrics extends UpstreamCounters {
    final AtomicInteger streamsInFlight = new AtomicInteger();
    final LongAdder goAways = new LongAdder();

    @Override
    UpstreamStats snapshot() {
        return new UpstreamStats(connectionsOpen.get(), connectionsOpening.get(), streamsInFlight.get(), pending.get(),
                requests.sum(), responses.sum(), retries.sum(), resets.sum(), timeouts.sum(), overloaded.sum(),
                connectFailures.sum(), goAways.sum());
    }
}
