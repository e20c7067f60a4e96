package io.pushrelay.core.upstream;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** The HTTP/1.1 upstream's counters, updated from every event loop; read through {@link #snapshot()}. */
final class H1Metrics {
    final AtomicInteger connectionsOpen = new AtomicInteger();
    final AtomicInteger connectionsBusy = new AtomicInteger();
    final AtomicInteger connectionsOpening = new AtomicInteger();
    final AtomicInteger pending = new AtomicInteger();
    final LongAdder requests = new LongAdder();
    final LongAdder responses = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder resets = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final LongAdder overloaded = new LongAdder();
    final LongAdder connectFailures = new LongAdder();
    final LongAdder connectionsOpened = new LongAdder();
    final LongAdder reusedRequests = new LongAdder();
    final LongAdder closedIdleByUpstream = new LongAdder();
    final LongAdder keepAliveRaces = new LongAdder();

    Http1UpstreamStats snapshot() {
        return new Http1UpstreamStats(connectionsOpen.get(), connectionsBusy.get(), connectionsOpening.get(),
                pending.get(), requests.sum(), responses.sum(), retries.sum(), resets.sum(), timeouts.sum(),
                overloaded.sum(), connectFailures.sum(), connectionsOpened.sum(), reusedRequests.sum(),
                closedIdleByUpstream.sum(), keepAliveRaces.sum());
    }
}
