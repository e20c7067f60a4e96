package io.pushrelay.core.inbound;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerAdapter;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The downstream side of an HTTP/2 connection for EmbeddedChannel tests: writes client frames
 * with Netty's frame writer into the server channel, and reads back what the server wrote as
 * a list of frames. Not a client implementation: no state machine, just framing and HPACK.
 */
final class H2TestClient implements AutoCloseable {
    /** One frame the server sent. */
    record Frame(String type, int streamId, Http2Headers headers, String data, boolean endStream, long errorCode,
                 int increment) {
    }

    private final EmbeddedChannel server;
    private final EmbeddedChannel wire = new EmbeddedChannel(new ChannelHandlerAdapter() {
    });
    private final ChannelHandlerContext ctx = wire.pipeline().firstContext();
    private final DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
    private final DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader();
    private final CompositeByteBuf pending = Unpooled.compositeBuffer();

    H2TestClient(EmbeddedChannel server) {
        this.server = server;
    }

    void preface(Http2Settings settings) {
        server.writeInbound(Http2CodecUtil.connectionPrefaceBuf());
        writer.writeSettings(ctx, settings, ctx.newPromise());
        send();
    }

    void headers(int streamId, Http2Headers headers, boolean endStream) {
        writer.writeHeaders(ctx, streamId, headers, 0, endStream, ctx.newPromise());
        send();
    }

    void data(int streamId, String data, boolean endStream) {
        writer.writeData(ctx, streamId, Unpooled.copiedBuffer(data, StandardCharsets.UTF_8), 0, endStream,
                ctx.newPromise());
        send();
    }

    void settingsAck() {
        writer.writeSettingsAck(ctx, ctx.newPromise());
        send();
    }

    void windowUpdate(int streamId, int increment) {
        writer.writeWindowUpdate(ctx, streamId, increment, ctx.newPromise());
        send();
    }

    void rstStream(int streamId, long errorCode) {
        writer.writeRstStream(ctx, streamId, errorCode, ctx.newPromise());
        send();
    }

    private void send() {
        wire.flush();
        for (Object o = wire.readOutbound(); o != null; o = wire.readOutbound()) {
            if (server.isOpen()) {
                server.writeInbound(o);
            } else {
                ((ByteBuf) o).release();
            }
        }
    }

    /** Every frame the server wrote since the last call (pending tasks run first). */
    List<Frame> frames() throws Http2Exception {
        server.runPendingTasks();
        for (Object o = server.readOutbound(); o != null; o = server.readOutbound()) {
            pending.addComponent(true, (ByteBuf) o);
        }
        List<Frame> frames = new ArrayList<>();
        reader.readFrame(ctx, pending, new Http2FrameAdapter() {
            @Override
            public int onDataRead(ChannelHandlerContext c, int streamId, ByteBuf data, int padding,
                                  boolean endOfStream) {
                frames.add(new Frame("DATA", streamId, null, data.toString(StandardCharsets.UTF_8), endOfStream, 0, 0));
                return data.readableBytes() + padding;
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext c, int streamId, Http2Headers headers, int padding,
                                      boolean endStream) {
                frames.add(new Frame("HEADERS", streamId, headers, null, endStream, 0, 0));
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext c, int streamId, Http2Headers headers,
                                      int streamDependency, short weight, boolean exclusive, int padding,
                                      boolean endStream) {
                onHeadersRead(c, streamId, headers, padding, endStream);
            }

            @Override
            public void onRstStreamRead(ChannelHandlerContext c, int streamId, long errorCode) {
                frames.add(new Frame("RST_STREAM", streamId, null, null, false, errorCode, 0));
            }

            @Override
            public void onSettingsRead(ChannelHandlerContext c, Http2Settings settings) {
                frames.add(new Frame("SETTINGS", 0, null, settings.toString(), false, 0, 0));
            }

            @Override
            public void onSettingsAckRead(ChannelHandlerContext c) {
                frames.add(new Frame("SETTINGS_ACK", 0, null, null, false, 0, 0));
            }

            @Override
            public void onGoAwayRead(ChannelHandlerContext c, int lastStreamId, long errorCode, ByteBuf debugData) {
                frames.add(new Frame("GOAWAY", lastStreamId, null, null, false, errorCode, 0));
            }

            @Override
            public void onWindowUpdateRead(ChannelHandlerContext c, int streamId, int windowSizeIncrement) {
                frames.add(new Frame("WINDOW_UPDATE", streamId, null, null, false, 0, windowSizeIncrement));
            }
        });
        pending.discardReadComponents();
        return frames;
    }

    /** The frames of one type. */
    List<Frame> frames(String type) throws Http2Exception {
        return frames().stream().filter(f -> f.type().equals(type)).toList();
    }

    @Override
    public void close() {
        pending.release();
        wire.finishAndReleaseAll();
        writer.close();
        reader.close();
    }
}
