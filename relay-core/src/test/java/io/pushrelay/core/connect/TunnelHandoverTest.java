package io.pushrelay.core.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The handler that keeps a raw tunnel's first bytes for the caller's first read. */
class TunnelHandoverTest {
    private EmbeddedChannel channel;

    @AfterEach
    void finish() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
    }

    /** Records reads, completions and inactivity in order. */
    private static final class Recorder extends ChannelInboundHandlerAdapter {
        final List<String> events = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf buf = (ByteBuf) msg;
            events.add(buf.toString(StandardCharsets.US_ASCII));
            buf.release();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            events.add("complete");
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            events.add("inactive");
        }
    }

    /** Counts read() requests that reach the transport. */
    private static final class ReadCounter extends ChannelOutboundHandlerAdapter {
        int reads;

        @Override
        public void read(ChannelHandlerContext ctx) {
            reads++;
            ctx.read();
        }
    }

    private Recorder setUp(ReadCounter counter, String... held) {
        List<Object> messages = new ArrayList<>();
        for (String s : held) {
            messages.add(bytes(s));
        }
        channel = new EmbeddedChannel();
        channel.config().setAutoRead(false);
        channel.pipeline().addLast(counter);
        channel.pipeline().addLast(UpstreamPipeline.TUNNEL_HANDOVER, new TunnelHandover(messages));
        Recorder recorder = new Recorder();
        channel.pipeline().addLast(recorder);
        return recorder;
    }

    @Test
    void firstReadShouldDeliverTheHeldBytesAndRemoveTheHandover() {
        ReadCounter counter = new ReadCounter();
        Recorder recorder = setUp(counter, "220 ", "hello\n");
        assertTrue(recorder.events.isEmpty(), "nothing before a read");
        channel.read();
        assertEquals(List.of("220 ", "hello\n", "complete"), recorder.events);
        assertNull(channel.pipeline().get(UpstreamPipeline.TUNNEL_HANDOVER));
        assertEquals(0, counter.reads, "the held bytes answer that read");
        channel.read();
        assertEquals(1, counter.reads, "later reads go to the transport");
    }

    @Test
    void bytesArrivingWhileHoldingShouldKeepTheirOrder() {
        Recorder recorder = setUp(new ReadCounter(), "one ");
        channel.writeInbound(bytes("two "));
        channel.pipeline().fireChannelReadComplete();
        assertTrue(recorder.events.isEmpty(), recorder.events::toString);
        channel.read();
        assertEquals(List.of("one ", "two ", "complete"), recorder.events);
    }

    @Test
    void aCloseShouldDeliverTheHeldBytesBeforeInactive() {
        Recorder recorder = setUp(new ReadCounter(), "last words\n");
        channel.close();
        assertEquals(List.of("last words\n", "complete", "inactive"), recorder.events);
    }

    @Test
    void removedWithBytesUnreadItShouldReleaseThem() {
        ByteBuf held = bytes("never read");
        channel = new EmbeddedChannel();
        TunnelHandover handover = new TunnelHandover(List.of(held));
        channel.pipeline().addLast(handover);
        channel.pipeline().remove(handover);
        assertEquals(0, held.refCnt());
        assertFalse(channel.finishAndReleaseAll());
        channel = null;
    }
}
