package io.pushrelay.core.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.upstream.Upstream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process {@link Upstream} that answers like APNS, standing in for the outbound half in
 * inbound tests: {@code 200} with {@code apns-id} (the request's, or a new one), {@code 400
 * MissingTopic} without {@code apns-topic}, {@code 400 PayloadEmpty} for an empty body,
 * {@code 410 Unregistered} for tokens marked so. Answers from its own thread (after an
 * optional delay), so every answer hops back to the downstream's event loop. Records what it
 * saw (never the body), counts calls and the most requests it held at once.
 */
public final class ApnsLikeUpstream implements Upstream, AutoCloseable {
    /** What one request looked like when it arrived. */
    public record Seen(Route route, String method, String scheme, String authority, String path,
                       Map<String, String> headers, String body, String downstreamId) {
    }

    private final ScheduledExecutorService executor = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "apns-like-upstream");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Set<String> unregistered = ConcurrentHashMap.newKeySet();
    private volatile Duration delay = Duration.ZERO;
    private volatile int extraBodyBytes;
    private volatile boolean recordBodies = true;
    private volatile boolean inline;

    public ApnsLikeUpstream delay(Duration d) {
        this.delay = d;
        return this;
    }

    /** Every 200 carries this many bytes of body (APNS sends none; for flow-control tests). */
    public ApnsLikeUpstream okBodyBytes(int bytes) {
        this.extraBodyBytes = bytes;
        return this;
    }

    public ApnsLikeUpstream unregister(String token) {
        unregistered.add(token);
        return this;
    }

    /** Answers on the caller's thread (the downstream's event loop) instead of its own. */
    public ApnsLikeUpstream inline(boolean on) {
        this.inline = on;
        return this;
    }

    /** Stops keeping every request (for load tests). */
    public ApnsLikeUpstream recordBodies(boolean on) {
        this.recordBodies = on;
        return this;
    }

    public int calls() {
        return calls.get();
    }

    public int maxInFlight() {
        return maxInFlight.get();
    }

    public List<Seen> seen() {
        return seen;
    }

    @Override
    public void send(Route route, RelayRequest request, ResponseSink sink) {
        calls.incrementAndGet();
        Map<String, String> headers = new LinkedHashMap<>();
        request.headers().forEach(h -> headers.merge(h.getKey().toString(), h.getValue().toString(), (a, b) -> a + "," + b));
        String body = request.body().toString(StandardCharsets.UTF_8);
        request.release();
        if (recordBodies) {
            seen.add(new Seen(route, request.method(), request.scheme(), request.authority(), request.path(), headers,
                    body, request.downstreamId()));
        }
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        Runnable answer = () -> {
            inFlight.decrementAndGet();
            sink.respond(answer(request.path(), headers, body));
        };
        long nanos = delay.toNanos();
        if (inline && nanos == 0) {
            answer.run();
        } else if (nanos == 0) {
            executor.execute(answer);
        } else {
            executor.schedule(answer, nanos, TimeUnit.NANOSECONDS);
        }
    }

    private RelayResponse answer(String path, Map<String, String> headers, String body) {
        String apnsId = headers.getOrDefault("apns-id", UUID.randomUUID().toString());
        String token = path.startsWith("/3/device/") ? path.substring("/3/device/".length()) : "";
        if (!headers.containsKey("apns-topic")) {
            return error(400, "MissingTopic", apnsId);
        }
        if (body.isEmpty()) {
            return error(400, "PayloadEmpty", apnsId);
        }
        if (unregistered.contains(token)) {
            return error(410, "Unregistered", apnsId);
        }
        Http2Headers out = new DefaultHttp2Headers().set("apns-id", apnsId);
        ByteBuf content = ByteBufAllocator.DEFAULT.buffer(extraBodyBytes);
        for (int i = 0; i < extraBodyBytes; i++) {
            content.writeByte('a' + i % 26);
        }
        return new RelayResponse(200, out, content, null, "up-1");
    }

    private static RelayResponse error(int status, String reason, String apnsId) {
        byte[] json = ("{\"reason\":\"" + reason + "\"}").getBytes(StandardCharsets.US_ASCII);
        Http2Headers out = new DefaultHttp2Headers().set("apns-id", apnsId)
                .set("content-type", "application/json");
        return new RelayResponse(status, out, ByteBufAllocator.DEFAULT.buffer(json.length).writeBytes(json), null,
                "up-1");
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
