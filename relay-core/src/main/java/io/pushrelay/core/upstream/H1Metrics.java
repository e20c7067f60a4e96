package io.pushrelay.core.upstream;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** The HTTP/1.1 upstream's counters, updated from every event loop; read through {@link #snapshot()}. */
final class H1Metrics extends UpstreamCounters {
    final AtomicInteger connectionsBusy = new AtomicInteger();
    final LongAdder connectionsOpened = new LongAdder();
    final LongAdder reusedRequests = new LongAdder();
    final LongAdder closedIdleByUpstream = new LongAdder();
    final LongAdder keepAliveRaces = new LongAdder();

    @Override
    Http1UpstreamStats snapshot() {
        return new Http1UpstreamStats(connectionsOpen.get(), connectionsBusy.get(), connectionsOpening.get(),
                pending.get(), requests.sum(), responses.sum(), retries.sum(), resets.sum(), timeouts.sum(),
                overloaded.sum(), connectFailures.sum(), connectionsOpened.sum(), reusedRequests.sum(),
                closedIdleByUpstream.sum(), keepAliveRaces.sum());
    }
}
