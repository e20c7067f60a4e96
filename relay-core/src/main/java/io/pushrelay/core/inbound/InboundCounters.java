package io.pushrelay.core.inbound;

import java.util.concurrent.atomic.LongAdder;

/** What the inbound handlers of one listener count. Thread-safe. */
public final class InboundCounters {
    final LongAdder h1Requests = new LongAdder();
    final LongAdder h2Requests = new LongAdder();
    final LongAdder badRequests = new LongAdder();
    final LongAdder bodiesTooLarge = new LongAdder();
    final LongAdder idleClosed = new LongAdder();

    /** Complete HTTP/1.1 requests received (answered or not). */
    public long h1Requests() {
        return h1Requests.sum();
    }

    /** HTTP/2 request heads received. */
    public long h2Requests() {
        return h2Requests.sum();
    }

    /** Requests refused as malformed (400), nothing forwarded. */
    public long badRequests() {
        return badRequests.sum();
    }

    /** Requests refused while their body arrived because it went over the route's limit (413). */
    public long bodiesTooLarge() {
        return bodiesTooLarge.sum();
    }

    /** Connections closed by the idle timeout. */
    public long idleClosed() {
        return idleClosed.sum();
    }
}
