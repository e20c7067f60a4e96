package io.pushrelay.core.sim;

import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * A stand-in for {@code fcm.googleapis.com} (FCM HTTP v1 {@code messages:send}) and
 * {@code oauth2.googleapis.com} ({@code POST /token}) in one listener, as Google's front ends
 * do it: TLS 1.2+, h2 by ALPN, HTTP/1.1 by ALPN or without it, and HTTP/2 with prior
 * knowledge when the client sends the preface without ALPN. See {@link FcmService} for the
 * answers. Counts everything; optionally records accepted messages.
 *
 * <p>Use: {@code try (FcmSimulator sim = new FcmSimulator()) { InetSocketAddress a = sim.start(config); ... }}.
 * Thread-safe.
 */
public final class FcmSimulator extends Simulator<FcmSimConfig> {
    private volatile FcmService service;
    private volatile SimEndpoint endpoint;

    public FcmSimulator() {
        super("fcm");
    }

    @Override
    protected SimServer bind(FcmSimConfig config) {
        SslContext ssl = SimTls.serverContext(config.identity(), List.of(), "h2", "http/1.1");
        FcmService fcm = new FcmService(config);
        SimEndpoint ep = new SimEndpoint("fcm", fcm, true, FcmSimConfig.MAX_BODY, 1000, 0,
                config.answerDelay().toMillis(), 0, 0);
        SimServer server = SimServer.bind("fcm-sim", config.listen(), config.ioThreads(), ep.initializer(ssl));
        this.service = fcm;
        this.endpoint = ep;
        return server;
    }

    /** {@code fcm simulator listening on 127.0.0.1:PORT (h2 and http/1.1; messages:send and /token)}. */
    @Override
    public synchronized String describe() {
        requireStarted();
        FcmSimConfig config = config();
        return "fcm simulator listening on " + SimServer.format(address())
                + " (h2 and http/1.1, ALPN or none; POST /v1/projects/<id>/messages:send and POST /token"
                + (config.requireIssuedTokens() ? "; only issued access tokens" : "; any bearer token")
                + (config.projectIds().isEmpty() ? "" : "; projects " + String.join(",", config.projectIds()))
                + (config.answerDelay().isZero() ? "" : "; delay " + config.answerDelay().toMillis() + " ms") + ")";
    }

    /** Messages answered 200 so far. */
    public long acceptedCount() {
        FcmService s = service;
        return s == null ? 0 : s.acceptedCount();
    }

    /** Access tokens issued by {@code POST /token} so far. */
    public long tokensIssued() {
        FcmService s = service;
        return s == null ? 0 : s.tokensIssued();
    }

    public synchronized FcmSimSnapshot snapshot() {
        requireStarted();
        var byStatus = service.rejectedByStatus();
        long rejected = byStatus.values().stream().mapToLong(Long::longValue).sum();
        return new FcmSimSnapshot(service.acceptedCount(), service.tokensIssued(), rejected, byStatus,
                service.requestsByProtocol(), endpoint.connections.opened(), endpoint.connections.openCount(),
                endpoint.connections.handshakeFailures.sum(), endpoint.connectionStats());
    }

    /** The accepted messages recorded (at most {@code recordLimit}, the most recent), oldest first. */
    public List<AcceptedMessage> recorded() {
        FcmService s = service;
        return s == null ? List.of() : s.recorded();
    }

    /** Waits until at least {@code count} messages were accepted; false on timeout. */
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

    @Override
    protected String summary() {
        return snapshot().summary();
    }
}
