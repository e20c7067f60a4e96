package io.pushrelay.core.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Reading CONNECT heads, and what happens to the bytes after them. */
class ConnectRequestDecoderTest {
    private final ConnectRequestDecoder decoder = new ConnectRequestDecoder();
    private final EmbeddedChannel channel = new EmbeddedChannel();

    ConnectRequestDecoderTest() {
        channel.pipeline().addLast(SimHandlerNames.CONNECT_DECODER, decoder);
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    @Test
    void connectHeadShouldBeReadAndTheBytesAfterItKeptForTheTunnel() {
        channel.writeInbound(ascii("CONNECT api.push.apple.com:443 HTTP/1.1\r\nHost: api.push.apple.com:443\r\n"
                + "Proxy-Authorization: Basic cmVsYXk6eA==\r\n\r\n\u0016\u0003\u0001hello"));
        ProxyRequest request = channel.readInbound();
        assertEquals("CONNECT", request.method());
        assertEquals("api.push.apple.com:443", request.target());
        assertEquals("Basic cmVsYXk6eA==", request.header("proxy-authorization"));
        assertTrue(request.keepAlive());
        assertNull(request.error());
        assertNull(channel.readInbound(), "the ClientHello is not parsed as HTTP");

        channel.pipeline().remove(SimHandlerNames.CONNECT_DECODER);
        ByteBuf rest = channel.readInbound();
        assertEquals("\u0016\u0003\u0001hello", rest.toString(StandardCharsets.ISO_8859_1));
        rest.release();
    }

    @Test
    void resumeShouldReadASecondRequestAlreadyBuffered() throws Exception {
        channel.writeInbound(ascii("CONNECT a:443 HTTP/1.1\r\n\r\n"
                + "CONNECT b:443 HTTP/1.1\r\nConnection: close\r\n\r\n"));
        assertEquals("a:443", ((ProxyRequest) channel.readInbound()).target());
        assertNull(channel.readInbound());
        decoder.resume(channel.pipeline().context(SimHandlerNames.CONNECT_DECODER));
        ProxyRequest second = channel.readInbound();
        assertEquals("b:443", second.target());
        assertTrue(!second.keepAlive());
    }

    @Test
    void malformedHeadsShouldSayWhy() {
        channel.writeInbound(ascii("CONNECT a:443\r\n\r\n"));
        assertEquals("bad request line", ((ProxyRequest) channel.readInbound()).error());
        assertEquals("bad header line", ConnectRequestDecoder.parse("CONNECT a:1 HTTP/1.1\r\nno colon").error());
        assertEquals("bad header line", ConnectRequestDecoder.parse("CONNECT a:1 HTTP/1.1\r\nName : x").error());
        assertEquals("bad request line", ConnectRequestDecoder.parse("CONNECT a:1 HTTP/2.0").error());
        assertNull(ConnectRequestDecoder.parse("\r\nCONNECT a:1 HTTP/1.0").error());
        assertTrue(!ConnectRequestDecoder.parse("CONNECT a:1 HTTP/1.0").keepAlive());
    }

    @Test
    void aHeadOverTheLimitShouldBeMalformed() {
        channel.writeInbound(ascii("CONNECT a:443 HTTP/1.1\r\nX: " + "y".repeat(ConnectRequestDecoder.MAX_HEAD)));
        assertEquals("request head over 8192 bytes", ((ProxyRequest) channel.readInbound()).error());
    }
}
