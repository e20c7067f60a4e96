package io.pushrelay.core.sim;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads one HTTP/1.x request head (RFC 9112 2-3) into a {@link ProxyRequest}, then pauses: the
 * bytes after the head (a TLS ClientHello sent before the 200, say) are not HTTP and stay in
 * the cumulation until the next handler either removes this decoder (they are then handed on,
 * raw, to the tunnel) or {@link #resume(ChannelHandlerContext) resumes} it for another request
 * on the same connection (after a 407). A head over {@value #MAX_HEAD} bytes is malformed.
 *
 * <p>Buffers: the cumulation is this decoder's; it is released on close or handed on.
 */
final class ConnectRequestDecoder extends ByteToMessageDecoder {
    static final int MAX_HEAD = 8192;
    private boolean paused;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (paused) {
            return;
        }
        int end = endOfHead(in);
        if (end < 0) {
            if (in.readableBytes() > MAX_HEAD) {
                paused = true;
                in.skipBytes(in.readableBytes());
                out.add(ProxyRequest.malformed("request head over " + MAX_HEAD + " bytes"));
            }
            return;
        }
        String head = in.toString(in.readerIndex(), end - in.readerIndex(), StandardCharsets.ISO_8859_1);
        in.readerIndex(end + 4);
        paused = true;
        out.add(parse(head));
    }

    /** Reads the next request head, if one is already buffered or when more bytes come. */
    void resume(ChannelHandlerContext decoderContext) throws Exception {
        paused = false;
        if (actualReadableBytes() > 0) {
            channelRead(decoderContext, Unpooled.EMPTY_BUFFER);
        }
    }

    /** Index of the {@code \r\n\r\n} ending the head, or -1. */
    private static int endOfHead(ByteBuf in) {
        int limit = Math.min(in.writerIndex(), in.readerIndex() + MAX_HEAD + 4);
        for (int i = in.readerIndex(); i + 3 < limit; i++) {
            if (in.getByte(i) == '\r' && in.getByte(i + 1) == '\n' && in.getByte(i + 2) == '\r'
                    && in.getByte(i + 3) == '\n') {
                return i;
            }
        }
        return -1;
    }

    static ProxyRequest parse(String head) {
        String[] lines = head.split("\r\n", -1);
        int first = 0;
        while (first < lines.length && lines[first].isEmpty()) {
            first++; // RFC 9112 2.2: ignore empty lines before the request line
        }
        if (first == lines.length) {
            return ProxyRequest.malformed("empty request");
        }
        String[] requestLine = lines[first].split(" ", -1);
        if (requestLine.length != 3 || requestLine[0].isEmpty() || requestLine[1].isEmpty()
                || !(requestLine[2].equals("HTTP/1.1") || requestLine[2].equals("HTTP/1.0"))) {
            return ProxyRequest.malformed("bad request line");
        }
        Map<String, String> headers = new HashMap<>();
        for (int i = first + 1; i < lines.length; i++) {
            String line = lines[i];
            int colon = line.indexOf(':');
            // RFC 9112 5.1: no whitespace between the name and the colon; no obsolete line folding.
            if (colon <= 0 || Character.isWhitespace(line.charAt(colon - 1))
                    || Character.isWhitespace(line.charAt(0))) {
                return ProxyRequest.malformed("bad header line");
            }
            headers.putIfAbsent(line.substring(0, colon).toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        return new ProxyRequest(requestLine[0], requestLine[1], requestLine[2], headers, null);
    }
}
