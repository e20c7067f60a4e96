package io.pushrelay.core.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the first bytes after a handshake without ALPN install. */
class PrefaceDetectorTest {
    private EmbeddedChannel channel;

    @AfterEach
    void tearDown() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private static SimEndpoint endpoint(boolean http1) {
        SimService refuseAll = (request, connection) -> SimResponse.internalError();
        return new SimEndpoint(http1 ? "fcm" : "apns", refuseAll, http1, 4096, 100, 0, 0, 0, 0);
    }

    private EmbeddedChannel channel(SimEndpoint endpoint) {
        channel = new EmbeddedChannel();
        SimConnection connection = endpoint.connections.open(channel);
        channel.pipeline().addLast(SimHandlerNames.PREFACE, new PrefaceDetector(endpoint, connection));
        return channel;
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private List<String> names() {
        return channel.pipeline().names().stream().filter(n -> !n.startsWith("DefaultChannelPipeline")).toList();
    }

    @Test
    void http2PrefaceShouldInstallTheHttp2Handler() {
        SimEndpoint apns = endpoint(false);
        channel(apns);
        channel.writeInbound(Unpooled.wrappedBuffer(PrefaceDetector.PREFACE, 0, 10));
        assertEquals(List.of(SimHandlerNames.PREFACE), names(), "waits while the bytes so far match");
        channel.writeInbound(Unpooled.wrappedBuffer(PrefaceDetector.PREFACE, 10, PrefaceDetector.PREFACE.length - 10));
        assertEquals(List.of(SimHandlerNames.H2), names());
        assertEquals("h2-prior-knowledge", apns.connectionStats().get(0).protocol());
        ByteBuf settings = channel.readOutbound();
        assertEquals(4, settings.getByte(3), "the server's first frame is SETTINGS (type 4)");
        settings.release();
    }

    @Test
    void http11ShouldInstallTheHttp11HandlersWhenTheEndpointSpeaksIt() {
        SimEndpoint fcm = endpoint(true);
        channel(fcm);
        channel.writeInbound(ascii("POST /token HTTP/1.1\r\nHost: oauth2.googleapis.com\r\ncontent-length: 0\r\n\r\n"));
        assertEquals(List.of(SimHandlerNames.H1_CODEC, SimHandlerNames.H1_AGGREGATOR, SimHandlerNames.H1_EXCHANGE),
                names());
        ByteBuf answer = channel.readOutbound();
        String text = answer.toString(StandardCharsets.US_ASCII);
        answer.release();
        assertTrue(text.startsWith("HTTP/1.1 500 "), "the request reached the service: " + text);
        assertEquals("http/1.1", fcm.connectionStats().get(0).protocol());
    }

    @Test
    void http11ToAnHttp2OnlyEndpointShouldGet505AndAClose() {
        SimEndpoint apns = endpoint(false);
        channel(apns);
        channel.writeInbound(ascii("POST /3/device/ab HTTP/1.1\r\n"));
        ByteBuf answer = channel.readOutbound();
        String text = answer.toString(StandardCharsets.US_ASCII);
        answer.release();
        assertTrue(text.startsWith("HTTP/1.1 505 HTTP Version Not Supported\r\n"), text);
        assertFalse(channel.isOpen());
        assertEquals(1, apns.protocolRejections.sum());
    }
}
