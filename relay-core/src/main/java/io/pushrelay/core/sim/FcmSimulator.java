package io.pushrelay.core.sim;

import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
public final class FcmSimulator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FcmSimulator.class);

    private FcmSimConfig config;
    private FcmService service;
    private SimEndpoint endpoint;
    private SimServer server;
    private InetSocketAddress bound;
    private boolean closed;

    /**
     * Binds and starts answering. Once per instance.
     *
     * @return the bound address (the real port when {@code listen} had port 0)
     * @throws IllegalStateException when already started, or {@code bind, <address>: <cause>}
     * @throws IllegalArgumentException when the TLS identity cannot be used
     */
    public synchronized InetSocketAddress start(FcmSimConfig config) {
        if (server != null) {
            throw new IllegalStateException("fcm simulator already started on " + bound);
        }
        SslContext ssl = SimTls.serverContext(config.identity(), List.of(), "h2", "http/1.1");
        FcmService fcm = new FcmService(config);
        SimEndpoint ep = new SimEndpoint("fcm", fcm, true, FcmSimConfig.MAX_BODY, 1000, 0,
                config.answerDelay().toMillis(), 0, 0);
        this.server = SimServer.bind("fcm-sim", config.listen(), config.ioThreads(), ep.initializer(ssl));
        this.config = config;
        this.service = fcm;
        this.endpoint = ep;
        this.bound = server.address();
        LOG.info("{}", describe());
        return bound;
    }

    public synchronized InetSocketAddress address() {
        requireStarted();
        return bound;
    }

    public synchronized FcmSimConfig config() {
        requireStarted();
        return config;
    }

    /** {@code fcm simulator listening on 127.0.0.1:PORT (h2 and http/1.1; messages:send and /token)}. */
    public synchronized String describe() {
        requireStarted();
        return "fcm simulator listening on " + SimServer.format(bound)
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

    /** Closes every connection and stops; idempotent. */
    @Override
    public synchronized void close() {
        if (server != null && !closed) {
            closed = true;
            server.close();
            LOG.info("fcm simulator on {} stopped: {}", SimServer.format(bound), snapshot().summary());
        }
    }

    private void requireStarted() {
        if (server == null) {
            throw new IllegalStateException("fcm simulator not started");
        }
    }
}
