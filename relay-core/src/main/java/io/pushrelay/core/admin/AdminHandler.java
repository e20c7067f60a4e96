package io.pushrelay.core.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.pushrelay.core.observe.metrics.RelayMetrics;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the admin endpoint's requests, one full request at a time:
 * <ul>
 *   <li>{@code GET /healthz}: 200 {@code ok} while the process runs;</li>
 *   <li>{@code GET /readyz}: 200 {@code ready} when the readiness check says so, else 503
 *       {@code not ready: <reason>};</li>
 *   <li>{@code GET /metrics}: 200, {@value RelayMetrics#CONTENT_TYPE}, the scrape;</li>
 *   <li>any other path 404; any other method 405 with {@code Allow: GET}; a request the
 *       codec could not decode 400 (bad syntax), 414 (request line too long) or 431 (headers too
 *       long), then close.</li>
 * </ul>
 * A query string is ignored. Keep-alive is decided by {@code HttpServerKeepAliveHandler}
 * before this handler: every answer has a {@code Content-Length}.
 *
 * <p>Sharable and stateless; runs on the connection's event loop. The readiness check and the
 * scrape run there too, so both must be quick and never block. Buffers: the request is
 * released by {@link SimpleChannelInboundHandler}; each answer's body is handed to the
 * pipeline, which releases it.
 */
@ChannelHandler.Sharable
public final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    public static final String HEALTHZ = "/healthz";
    public static final String READYZ = "/readyz";
    public static final String METRICS = "/metrics";

    private static final Logger LOG = LoggerFactory.getLogger(AdminHandler.class);
    private static final String TEXT = "text/plain; charset=utf-8";

    private final RelayMetrics metrics;
    private final Supplier<Readiness> readiness;

    public AdminHandler(RelayMetrics metrics, Supplier<Readiness> readiness) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.readiness = Objects.requireNonNull(readiness, "readiness");
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            Throwable cause = request.decoderResult().cause();
            HttpResponseStatus status = cause instanceof TooLongHttpHeaderException
                    ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                    : cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                    : HttpResponseStatus.BAD_REQUEST;
            LOG.debug("admin: undecodable request from {}: {}", ctx.channel().remoteAddress(), String.valueOf(cause));
            FullHttpResponse response = text(ctx, status, status.reasonPhrase().toLowerCase(Locale.ROOT) + "\n");
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        String path = path(request.uri());
        FullHttpResponse response;
        if (path == null) {
            response = text(ctx, HttpResponseStatus.BAD_REQUEST, "bad request target\n");
        } else if (!HttpMethod.GET.equals(request.method())) {
            response = text(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed\n");
            response.headers().set(HttpHeaderNames.ALLOW, HttpMethod.GET.name());
        } else {
            response = switch (path) {
                case HEALTHZ -> text(ctx, HttpResponseStatus.OK, "ok\n");
                case READYZ -> readyz(ctx);
                case METRICS -> metrics(ctx);
                default -> text(ctx, HttpResponseStatus.NOT_FOUND, "not found\n");
            };
        }
        if (request.protocolVersion().equals(HttpVersion.HTTP_1_0) && HttpUtil.isKeepAlive(request)) {
            // An HTTP/1.0 client keeps the connection only when told so (RFC 9112 section C.2.2).
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        LOG.debug("admin: {} {} -> {}", request.method(), path, response.status().code());
        ctx.writeAndFlush(response);
    }

    private FullHttpResponse readyz(ChannelHandlerContext ctx) {
        Readiness state;
        try {
            state = Objects.requireNonNull(readiness.get(), "readiness check returned null");
        } catch (RuntimeException e) {
            // The exception's message stays in the log; the body says only that the check broke.
            LOG.warn("admin: readiness check failed: {}", e.toString());
            state = Readiness.notReady("readiness check failed (" + e.getClass().getSimpleName() + ")");
        }
        return state.ready()
                ? text(ctx, HttpResponseStatus.OK, "ready\n")
                : text(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "not ready: " + state.reason() + "\n");
    }

    private FullHttpResponse metrics(ChannelHandlerContext ctx) {
        ByteBuf body = ctx.alloc().buffer(16 * 1024);
        try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
            metrics.scrape(out);
        } catch (IOException | RuntimeException e) {
            body.release();
            LOG.warn("admin: scrape failed: {}", e.toString());
            return text(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, "scrape failed\n");
        }
        return response(HttpResponseStatus.OK, RelayMetrics.CONTENT_TYPE, body);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            LOG.debug("admin: closing idle connection from {}", ctx.channel().remoteAddress());
            ctx.close();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Resets and broken pipes are the client's business (STYLE: expected hang-ups at DEBUG).
        LOG.debug("admin: connection from {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }

    /**
     * The path of an origin-form ({@code /metrics?x}) or absolute-form
     * ({@code http://host/metrics}) request target, without query; null if it is neither.
     */
    static String path(String uri) {
        if (uri.startsWith("/")) {
            int q = uri.indexOf('?');
            return q < 0 ? uri : uri.substring(0, q);
        }
        try {
            URI parsed = new URI(uri);
            String scheme = parsed.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
                return null;
            }
            String raw = parsed.getRawPath();
            return raw == null || raw.isEmpty() ? "/" : raw;
        } catch (URISyntaxException e) {
            return null;
        }
    }

    private static FullHttpResponse text(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
        ByteBuf buf = ByteBufUtil.encodeString(ctx.alloc(), CharBuffer.wrap(body), StandardCharsets.UTF_8);
        return response(status, TEXT, buf);
    }

    private static FullHttpResponse response(HttpResponseStatus status, String contentType, ByteBuf body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, contentType)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE)
                .set("x-content-type-options", "nosniff");
        HttpUtil.setContentLength(response, body.readableBytes());
        return response;
    }
}
