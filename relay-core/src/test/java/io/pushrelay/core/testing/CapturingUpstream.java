package io.pushrelay.core.testing;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.forward.ResponseSink;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.upstream.Upstream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link Upstream} that keeps every call for the test to answer on its own thread
 * (EmbeddedChannel tests, where the event loop is the test thread). {@link #close()} releases
 * the bodies it still holds.
 */
public final class CapturingUpstream implements Upstream, AutoCloseable {
    /** One request handed over, and the sink that answers it. */
    public record Call(Route route, RelayRequest request, ResponseSink sink) {
        public String body() {
            return request.body().toString(StandardCharsets.UTF_8);
        }

        /** Answers {@code status} with the given header pairs and body. */
        public void answer(int status, String body, String... headerPairs) {
            Http2Headers headers = new DefaultHttp2Headers();
            for (int i = 0; i + 1 < headerPairs.length; i += 2) {
                headers.add(headerPairs[i], headerPairs[i + 1]);
            }
            ByteBufAllocator alloc = UnpooledByteBufAllocator.DEFAULT;
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            sink.respond(new RelayResponse(status, headers, alloc.buffer(bytes.length).writeBytes(bytes), null, "up-1"));
        }
    }

    private final List<Call> calls = new ArrayList<>();

    @Override
    public synchronized void send(Route route, RelayRequest request, ResponseSink sink) {
        calls.add(new Call(route, request, sink));
    }

    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    public synchronized Call call(int i) {
        return calls.get(i);
    }

    @Override
    public synchronized void close() {
        for (Call call : calls) {
            call.request().release();
        }
    }
}
