package io.pushrelay.core.sim;

import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * A stand-in for {@code api.push.apple.com}: HTTP/2 over TLS 1.2+, negotiated by ALPN
 * {@code h2} or spoken with prior knowledge when the client offers no ALPN (Pushy's default),
 * answering {@code POST /3/device/<token>} as APNS does (see {@link ApnsService} for the
 * checks and reasons), with optional client-certificate auth, token auth, APNS's
 * SETTINGS_MAX_CONCURRENT_STREAMS ramp, and fault injection (answer delay, GOAWAY or a dropped
 * connection after N streams). Counts everything; optionally records accepted notifications.
 *
 * <p>Use: {@code try (ApnsSimulator sim = new ApnsSimulator()) { InetSocketAddress a = sim.start(config); ... }}.
 * Thread-safe; counters may be read at any time.
 */
public final class ApnsSimulator extends Simulator<ApnsSimConfig> {
    private volatile ApnsService service;
    private volatile SimEndpoint endpoint;

    public ApnsSimulator() {
        super("apns");
    }

    @Override
    protected SimServer bind(ApnsSimConfig config) {
        SslContext ssl = SimTls.serverContext(config.identity(), config.clientCa(), "h2");
        ApnsService apns = new ApnsService(config);
        int initial = config.initialMaxConcurrentStreams();
        int raised = config.maxConcurrentStreams() != initial ? config.maxConcurrentStreams() : 0;
        SimEndpoint ep = new SimEndpoint("apns", apns, false, ApnsSimConfig.MAX_VOIP_PAYLOAD, initial, raised,
                config.answerDelay().toMillis(), config.goAwayAfterStreams(), config.dropAfterStreams());
        SimServer server = SimServer.bind("apns-sim", config.listen(), config.ioThreads(), ep.initializer(ssl));
        this.service = apns;
        this.endpoint = ep;
        return server;
    }

    /** {@code apns simulator listening on 127.0.0.1:PORT (h2, ALPN and prior knowledge; ...)}. */
    @Override
    public synchronized String describe() {
        requireStarted();
        ApnsSimConfig config = config();
        StringBuilder s = new StringBuilder("apns simulator listening on ").append(SimServer.format(address()))
                .append(" (h2, ALPN and prior knowledge");
        s.append(config.tokenAuth() ? config.tokenKeys().isEmpty() ? "; token auth, signatures not checked"
                : "; token auth, " + config.tokenKeys().size() + " verification key(s)" : "");
        s.append(config.clientCa().isEmpty() ? "" : "; client certificate required");
        s.append("; max streams ").append(config.initialMaxConcurrentStreams());
        if (config.maxConcurrentStreams() != config.initialMaxConcurrentStreams()) {
            s.append(" then ").append(config.maxConcurrentStreams());
        }
        if (!config.answerDelay().isZero()) {
            s.append("; delay ").append(config.answerDelay().toMillis()).append(" ms");
        }
        if (config.goAwayAfterStreams() > 0) {
            s.append("; GOAWAY after ").append(config.goAwayAfterStreams()).append(" streams");
        }
        if (config.dropAfterStreams() > 0) {
            s.append("; drop after ").append(config.dropAfterStreams()).append(" streams");
        }
        return s.append(')').toString();
    }

    /** Notifications answered 200 so far. */
    public long acceptedCount() {
        ApnsService s = service;
        return s == null ? 0 : s.acceptedCount();
    }

    /** Notifications answered with an error so far. */
    public long rejectedCount() {
        ApnsService s = service;
        return s == null ? 0 : s.rejectedByReason().values().stream().mapToLong(Long::longValue).sum();
    }

    public synchronized ApnsSimSnapshot snapshot() {
        requireStarted();
        var byReason = service.rejectedByReason();
        long rejected = byReason.values().stream().mapToLong(Long::longValue).sum();
        return new ApnsSimSnapshot(service.acceptedCount(), rejected, byReason, endpoint.connections.opened(),
                endpoint.connections.openCount(), endpoint.connections.handshakeFailures.sum(),
                endpoint.protocolRejections.sum(), endpoint.goAwaysSent.sum(), endpoint.connectionsDropped.sum(),
                endpoint.connectionStats());
    }

    /** The accepted notifications recorded (at most {@code recordLimit}, the most recent), oldest first. */
    public List<AcceptedNotification> recorded() {
        ApnsService s = service;
        return s == null ? List.of() : s.recorded();
    }

    public void clearRecorded() {
        ApnsService s = service;
        if (s != null) {
            s.clearRecorded();
        }
    }

    /** Waits until at least {@code count} notifications were accepted; false on timeout. */
    public boolean awaitAccepted(long count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (acceptedCount() < count) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    /** The shared pipeline parts, for tests in this package. */
    synchronized SimEndpoint endpoint() {
        requireStarted();
        return endpoint;
    }

    @Override
    protected String summary() {
        return snapshot().summary();
    }
}
