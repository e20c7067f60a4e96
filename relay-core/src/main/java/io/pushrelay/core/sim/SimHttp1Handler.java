package io.pushrelay.core.sim;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 side of a simulator (FCM): one aggregated request in, one answer out, in order,
 * keep-alive as the client asks. Event loop only; the request is released by
 * {@link SimpleChannelInboundHandler} after {@link #channelRead0}, its body having been copied.
 */
final class SimHttp1Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(SimHttp1Handler.class);

    private final SimEndpoint endpoint;
    private final SimConnection connection;

    SimHttp1Handler(SimEndpoint endpoint, SimConnection connection) {
        this.endpoint = endpoint;
        this.connection = connection;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        connection.countStream();
        Http2Headers headers = new DefaultHttp2Headers(false);
        for (Map.Entry<String, String> header : request.headers()) {
            headers.add(header.getKey().toLowerCase(Locale.ROOT), header.getValue());
        }
        byte[] body = ByteBufUtil.getBytes(request.content());
        SimRequest simRequest = new SimRequest(request.method().name(), request.uri(),
                request.headers().get(HttpHeaderNames.HOST), headers, body, body.length, connection.protocol);
        SimResponse response;
        try {
            response = endpoint.service.handle(simRequest, connection);
        } catch (RuntimeException e) {
            LOG.warn("{} {}: simulator bug: {}", endpoint.name, connection.id, e.toString(), e);
            response = SimResponse.internalError();
        }
        connection.countAnswer(response.status());
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        FullHttpResponse out = toHttp1(response, keepAlive);
        if (endpoint.answerDelayMillis > 0) {
            ctx.executor().schedule(() -> send(ctx, out, keepAlive), endpoint.answerDelayMillis, TimeUnit.MILLISECONDS);
        } else {
            send(ctx, out, keepAlive);
        }
    }

    private static FullHttpResponse toHttp1(SimResponse response, boolean keepAlive) {
        FullHttpResponse out = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(response.status()), Unpooled.wrappedBuffer(response.body()));
        for (Map.Entry<CharSequence, CharSequence> header : response.headers()) {
            out.headers().add(header.getKey(), header.getValue());
        }
        out.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.body().length);
        if (!keepAlive) {
            out.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return out;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpResponse out, boolean keepAlive) {
        if (!ctx.channel().isActive()) {
            out.release();
            return;
        }
        var future = ctx.writeAndFlush(out);
        if (!keepAlive) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debug("{} {}: {}", endpoint.name, connection.id, cause.toString());
        } else {
            LOG.warn("{} {}: closing after {}", endpoint.name, connection.id, cause.toString());
        }
        ctx.close();
    }
}
