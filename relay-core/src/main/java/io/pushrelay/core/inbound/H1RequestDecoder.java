package io.pushrelay.core.inbound;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.List;

/**
 * Netty's HTTP/1.1 request decoder with the limits and strictness a relay needs against
 * request smuggling: request line at most 8 KiB, header section at most 16 KiB, strict CRLF
 * (no bare LF or CR), validated header names and values (no NUL or other controls),
 * Content-Length together with Transfer-Encoding refused, differing Content-Lengths refused,
 * malformed chunk sizes refused. Netty silently joins obsolete line folding (a header line
 * starting with a space or tab); this decoder refuses it (RFC 9112 5.2 lets a server reject
 * it with 400), by watching the bytes the decoder consumes while it reads a request head.
 *
 * <p>A refused request comes out as a message whose {@link DecoderResult} is a failure; after
 * that every further byte is discarded, since the framing can no longer be trusted.
 *
 * <p>After a {@code CONNECT} request the decoder stops: what follows is the tunnel's bytes (a
 * client may send its TLS ClientHello before our answer), kept undecoded until this decoder is
 * removed, which hands them on to the handler after it, or until {@link #discardRest()}.
 */
public final class H1RequestDecoder extends HttpRequestDecoder {
    public static final int MAX_INITIAL_LINE_BYTES = 8 << 10;
    public static final int MAX_HEADER_BYTES = 16 << 10;
    public static final int MAX_CHUNK_BYTES = 8 << 10;

    private boolean inHead = true;
    private boolean sawLine;
    private boolean atLineStart = true;
    private boolean failed;
    private boolean afterConnect;
    private boolean connectPending;

    public H1RequestDecoder() {
        super(new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_INITIAL_LINE_BYTES)
                .setMaxHeaderSize(MAX_HEADER_BYTES)
                .setMaxChunkSize(MAX_CHUNK_BYTES)
                .setValidateHeaders(true)
                .setAllowDuplicateContentLengths(false)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true));
    }

    /** Drops every byte from now on (a refused {@code CONNECT}: the connection closes). */
    public void discardRest() {
        failed = true;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        if (failed) {
            buffer.skipBytes(buffer.readableBytes());
            return;
        }
        if (afterConnect) {
            // Tunnel bytes: left in the buffer for whoever comes after the switch.
            return;
        }
        int start = buffer.readerIndex();
        int outBefore = out.size();
        super.decode(ctx, buffer, out);
        if (inHead && watchHead(buffer, start, buffer.readerIndex())) {
            if (!alreadyFailed(out, outBefore)) {
                for (int i = out.size() - 1; i >= outBefore; i--) {
                    ReferenceCountUtil.release(out.remove(i));
                }
                DefaultFullHttpRequest bad = new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET,
                        "/bad-request", Unpooled.EMPTY_BUFFER);
                bad.setDecoderResult(DecoderResult.failure(
                        new IllegalArgumentException("obsolete line folding in the header section (RFC 9112 5.2)")));
                out.add(bad);
            }
            failed = true;
            buffer.skipBytes(buffer.readableBytes());
            return;
        }
        for (int i = outBefore; i < out.size(); i++) {
            Object message = out.get(i);
            if (message instanceof HttpObject && ((HttpObject) message).decoderResult().isFailure()) {
                failed = true;
            }
            if (message instanceof HttpRequest request && HttpMethod.CONNECT.equals(request.method())) {
                connectPending = true;
            }
            if (message instanceof LastHttpContent) {
                inHead = true;
                sawLine = false;
                atLineStart = true;
                afterConnect |= connectPending;
                connectPending = false;
            }
        }
        if (failed) {
            buffer.skipBytes(buffer.readableBytes());
        }
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (failed || afterConnect) {
            in.skipBytes(in.readableBytes());
            return;
        }
        super.decodeLast(ctx, in, out);
    }

    /**
     * Follows the consumed head bytes; true on obsolete line folding. Only a line's first bytes
     * matter (an empty line ends the head, a space or tab continues the previous line), so it
     * jumps from line end to line end.
     */
    private boolean watchHead(ByteBuf buffer, int from, int to) {
        int i = from;
        while (i < to && inHead) {
            if (atLineStart) {
                byte b = buffer.getByte(i);
                if (b == '\r') {
                    // Part of an empty line's CRLF; strict line parsing refuses a bare CR.
                    i++;
                    continue;
                }
                if (b == '\n') {
                    // An empty line: the end of the head, or one of the empty lines allowed before it.
                    if (sawLine) {
                        inHead = false;
                    }
                    i++;
                    continue;
                }
                if (sawLine && (b == ' ' || b == '\t')) {
                    return true;
                }
                atLineStart = false;
            }
            int lineEnd = buffer.indexOf(i, to, (byte) '\n');
            if (lineEnd < 0) {
                return false;
            }
            sawLine = true;
            atLineStart = true;
            i = lineEnd + 1;
        }
        return false;
    }

    private static boolean alreadyFailed(List<Object> out, int from) {
        for (int i = from; i < out.size(); i++) {
            Object message = out.get(i);
            if (message instanceof HttpObject && ((HttpObject) message).decoderResult().isFailure()) {
                return true;
            }
        }
        return false;
    }
}
