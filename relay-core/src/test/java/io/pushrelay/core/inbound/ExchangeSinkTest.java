package io.pushrelay.core.inbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.EventExecutor;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ExchangeSinkTest {
    private static final class Recording extends ExchangeSink {
        final CompletableFuture<Thread> deliveredOn = new CompletableFuture<>();

        Recording(EventExecutor executor) {
            super(executor);
        }

        @Override
        protected void deliver(RelayResponse response) {
            response.release();
            deliveredOn.complete(Thread.currentThread());
        }
    }

    @Test
    void answerFromAnotherThreadShouldBeDeliveredOnTheEventLoop() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            EventExecutor loop = group.next();
            Thread loopThread = loop.submit(Thread::currentThread).get();
            Recording sink = new Recording(loop);
            RelayResponse response = RelayResponse.of(RelayError.INTERNAL, PooledByteBufAllocator.DEFAULT);
            sink.respond(response);
            assertSame(loopThread, sink.deliveredOn.get(5, TimeUnit.SECONDS));
            assertNotSame(Thread.currentThread(), loopThread);
            assertTrue(sink.isAnswered());
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void secondAnswerShouldBeReleasedAndCounted() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Recording sink = new Recording(group.next());
            long before = ExchangeSink.duplicateAnswers();
            sink.respond(RelayResponse.of(RelayError.INTERNAL, PooledByteBufAllocator.DEFAULT));
            RelayResponse second = RelayResponse.of(RelayError.UPSTREAM_TIMEOUT, PooledByteBufAllocator.DEFAULT);
            sink.respond(second);
            assertEquals(0, second.body().refCnt());
            assertEquals(before + 1, ExchangeSink.duplicateAnswers());
            sink.deliveredOn.get(5, TimeUnit.SECONDS);
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void answerAfterTheEventLoopStoppedShouldBeReleased() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventExecutor loop = group.next();
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        Recording sink = new Recording(loop);
        RelayResponse response = RelayResponse.of(RelayError.INTERNAL, PooledByteBufAllocator.DEFAULT);
        sink.respond(response);
        assertEquals(0, response.body().refCnt());
    }
}
