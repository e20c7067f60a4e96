package io.pushrelay.core.upstream;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** The pool's counters, updated from every event loop; read through {@link #snapshot()}. */
final class Metrics {
    final AtomicInteger connectionsOpen = new AtomicInteger();
    final AtomicInteger connectionsOpening = new AtomicInteger();
    final AtomicInteger streamsInFlight = new AtomicInteger();
    final AtomicInteger pending = new AtomicInteger();
    final LongAdder requests = new LongAdder();
    final LongAdder responses = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder resets = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final LongAdder overloaded = new LongAdder();
    final LongAdder connectFailures = new LongAdder();
    final LongAdder goAways = new LongAdder();

    UpstreamStats snapshot() {
        return new UpstreamStats(connectionsOpen.get(), connectionsOpening.get(), streamsInFlight.get(), pending.get(),
                requests.sum(), responses.sum(), retries.sum(), resets.sum(), timeouts.sum(), overloaded.sum(),
                connectFailures.sum(), goAways.sum());
    }
}
