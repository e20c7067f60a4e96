package io.pushrelay.core.forward;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.pushrelay.core.observe.AccessLog;
import io.pushrelay.core.observe.logging.LogThrottle;
import io.pushrelay.core.policy.Policy;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.upstream.Upstream;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries one exchange from the inbound side to the upstream: applies the {@link Policy},
 * hands allowed requests to the {@link Upstream}, answers refused ones itself with a
 * {@link RelayError} in APNS shape, and writes the access-log line when the answer comes.
 * Relay-made answers log one more line naming both ends (WARN for relay faults, INFO for
 * refusals), at most one a second of each kind (status, reason, method, route), the next saying how
 * many it stands for: an upstream that is down fails thousands a second, and the access log and
 * the metrics count each.
 *
 * <p>{@code CONNECT} requests come to {@link #tunnel} instead: the policy's tunnel check, then
 * a refusal, or a {@code 200} (logged like any answer) after which the inbound side opens the
 * tunnel.
 *
 * <p>Threads: called on the downstream connection's event loop; the answer may come from any
 * thread (the sink passed in hops back). {@link #replacePolicy} may be called from any thread.
 * Buffer ownership: takes the request (and its body) in every method; the answer is passed on
 * to the caller's sink, which owns it.
 */
public final class Forwarder {
    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);

    private volatile Policy policy;
    private final Upstream upstream;
    private final AccessLog accessLog;
    private final ExchangeListener listener;
    private final LogThrottle errorLines = new LogThrottle(Duration.ofSeconds(1));

    public Forwarder(Policy policy, Upstream upstream) {
        this(policy, upstream, new AccessLog());
    }

    public Forwarder(Policy policy, Upstream upstream, AccessLog accessLog) {
        this(policy, upstream, accessLog, ExchangeListener.NONE);
    }

    /** With {@code listener} told of every answered exchange (metrics), after the access log. */
    public Forwarder(Policy policy, Upstream upstream, AccessLog accessLog, ExchangeListener listener) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.upstream = Objects.requireNonNull(upstream, "upstream");
        this.accessLog = Objects.requireNonNull(accessLog, "accessLog");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    public Policy policy() {
        return policy;
    }

    /**
     * Replaces the policy (routes and rules) for requests that arrive from now on; requests
     * already forwarded keep their route. For reloads.
     */
    public void replacePolicy(Policy newPolicy) {
        this.policy = Objects.requireNonNull(newPolicy, "policy");
    }

    /** The body limit for requests to {@code authority}, known before the body arrives. */
    public int bodyLimit(String authority) {
        return policy.bodyLimit(authority);
    }

    /**
     * Checks {@code request} against the policy and sends it upstream, or answers it with the
     * refusal. Exactly one answer reaches {@code sink}.
     */
    public void forward(RelayRequest request, Downstream downstream, ResponseSink sink) {
        ByteBufAllocator alloc = request.body().alloc();
        Policy.Decision decision;
        try {
            decision = policy.check(request, downstream);
        } catch (RuntimeException e) {
            LOG.error("policy failed on {} => {}", downstream, request.authority(), e);
            answer(request, null, RelayError.INTERNAL, alloc, sink);
            return;
        }
        if (!decision.allowed()) {
            answer(request, decision.route(), decision.error(), alloc, sink);
            return;
        }
        Route route = decision.route();
        ResponseSink logged = new LoggingSink(request, route, sink);
        try {
            upstream.send(route, request, logged);
        } catch (RuntimeException e) {
            // The upstream owns the body now; only the answer is ours to make.
            LOG.error("upstream failed to take {} => {}", downstream, route, e);
            logged.respond(RelayResponse.of(RelayError.INTERNAL, alloc));
        }
    }

    /**
     * Decides a {@code CONNECT} ({@code request.authority()} is its {@code host:port}) with
     * {@link Policy#checkTunnel}: answers {@code sink} with the refusal, or with a {@code 200}
     * without headers or body, after which the caller turns the connection into the tunnel.
     * Exactly one answer reaches {@code sink}, on the calling thread.
     */
    public void tunnel(RelayRequest request, Downstream downstream, ResponseSink sink) {
        ByteBufAllocator alloc = request.body().alloc();
        Policy.Decision decision;
        try {
            decision = policy.checkTunnel(request, downstream);
        } catch (RuntimeException e) {
            LOG.error("policy failed on CONNECT {} => {}", downstream, AccessLog.safe(request.authority()), e);
            answer(request, null, RelayError.INTERNAL, alloc, sink);
            return;
        }
        if (!decision.allowed()) {
            answer(request, decision.route(), decision.error(), alloc, sink);
            return;
        }
        request.release();
        LOG.debug("tunnel {} => {}", downstream, decision.route());
        new LoggingSink(request, decision.route(), sink).respond(new RelayResponse(200,
                new DefaultHttp2Headers(false, 0), Unpooled.EMPTY_BUFFER, null, "-"));
    }

    /**
     * Answers {@code request} with {@code error} without policy or upstream: for what the
     * inbound side refuses itself (malformed requests, bodies over the limit).
     */
    public void refuse(RelayRequest request, RelayError error, ResponseSink sink) {
        answer(request, null, error, request.body().alloc(), sink);
    }

    private void answer(RelayRequest request, Route route, RelayError error, ByteBufAllocator alloc,
                        ResponseSink sink) {
        request.release();
        new LoggingSink(request, route, sink).respond(RelayResponse.of(error, alloc));
    }

    /** What tells one relay-made answer's line from another, for the log throttle. */
    private record ErrorKind(RelayError error, String method, String target) {
    }

    /** Logs the first answer (access log, and the error line), then passes every answer on. */
    private final class LoggingSink implements ResponseSink {
        private static final AtomicIntegerFieldUpdater<LoggingSink> LOGGED =
                AtomicIntegerFieldUpdater.newUpdater(LoggingSink.class, "logged");

        private final RelayRequest request;
        private final Route route;
        private final ResponseSink next;
        @SuppressWarnings("unused")
        private volatile int logged;

        LoggingSink(RelayRequest request, Route route, ResponseSink next) {
            this.request = request;
            this.route = route;
            this.next = next;
        }

        @Override
        public void respond(RelayResponse response) {
            if (response != null && LOGGED.compareAndSet(this, 0, 1)) {
                try {
                    long now = System.nanoTime();
                    accessLog.log(request, response, now);
                    listener.answered(request, route, response, now);
                    if (response.error() != null) {
                        logError(response);
                    }
                } catch (RuntimeException e) {
                    LOG.error("access log failed", e);
                }
            }
            next.respond(response);
        }

        private void logError(RelayResponse response) {
            RelayError error = response.error();
            String target = route != null ? route.toString() : AccessLog.safe(request.authority());
            String upstreamConnection = response.upstreamConnection();
            if (!(error.isRelayFault() ? LOG.isWarnEnabled() : LOG.isInfoEnabled())) {
                return;
            }
            long held = errorLines.due(new ErrorKind(error, request.method(), target));
            if (held == LogThrottle.HOLD) {
                return;
            }
            if (error.isRelayFault()) {
                LOG.warn("answered {} {} ({}): {} [{}] => {}{}{}", error.status(), error.reason(), error.flag(),
                        Downstream.format(request.downstream()), request.downstreamId(), target,
                        upstreamConnection == null || "-".equals(upstreamConnection) ? "" : " via " + upstreamConnection,
                        LogThrottle.more(held));
            } else {
                LOG.info("answered {} {} ({}): {} [{}] => {} {} {}{}", error.status(), error.reason(), error.flag(),
                        Downstream.format(request.downstream()), request.downstreamId(), target,
                        AccessLog.safe(request.method()), AccessLog.maskPath(request.path()), LogThrottle.more(held));
            }
        }
    }
}
