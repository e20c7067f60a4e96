package io.pushrelay.core.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pushrelay.core.forward.RelayError;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpConnectHandlerTest {
    private static final String ENDS = "connect, basic, 127.0.0.1:3128 => api.push.apple.com:443";

    private final List<Object> events = new ArrayList<>();
    private final List<Throwable> errors = new ArrayList<>();
    private EmbeddedChannel channel;

    private EmbeddedChannel channel(String authorization) {
        channel = new EmbeddedChannel(
                new HttpConnectHandler("api.push.apple.com:443", authorization, ENDS, 5000),
                new ChannelInboundHandlerAdapter() {
                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        events.add(evt);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        errors.add(cause);
                    }
                });
        return channel;
    }

    @AfterEach
    void finish() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    private static ByteBuf ascii(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private String written() {
        ByteBuf out = channel.readOutbound();
        try {
            return out.toString(StandardCharsets.ISO_8859_1);
        } finally {
            out.release();
        }
    }

    @Test
    void writesConnectWithBasicAuthOnActivation() {
        channel("Basic YWxpY2U6czNjcmV0");
        assertEquals("CONNECT api.push.apple.com:443 HTTP/1.1\r\nHost: api.push.apple.com:443\r\n"
                + "Proxy-Authorization: Basic YWxpY2U6czNjcmV0\r\n\r\n", written());
    }

    @Test
    void twoHundredEstablishesTheTunnelAndPassesLaterBytesOn() {
        channel(null);
        assertEquals("CONNECT api.push.apple.com:443 HTTP/1.1\r\nHost: api.push.apple.com:443\r\n\r\n", written());
        channel.writeInbound(ascii("HTTP/1.1 200 Connection established\r\n\r\n\u0016\u0003\u0001"));
        assertEquals(List.of(HttpConnectHandler.TUNNEL_ESTABLISHED), events);
        assertNull(channel.pipeline().get(HttpConnectHandler.class));
        ByteBuf rest = channel.readInbound();
        assertEquals(3, rest.readableBytes());
        rest.release();
        assertTrue(errors.isEmpty());
    }

    @Test
    void answerArrivingInPiecesAndInterimAnswersAreHandled() {
        channel(null);
        written();
        channel.writeInbound(ascii("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 2"));
        assertTrue(events.isEmpty());
        channel.writeInbound(ascii("00 OK\r\nVia: x\r\n\r\n"));
        assertEquals(List.of(HttpConnectHandler.TUNNEL_ESTABLISHED), events);
    }

    @Test
    void fourOhSevenIsProxyRefusedNamingBothEnds() {
        channel("Basic eA==");
        written();
        channel.writeInbound(ascii("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 5\r\n\r\nhello"));
        ConnectorException e = assertInstanceOf(ConnectorException.class, errors.get(0));
        assertEquals(RelayError.PROXY_REFUSED, e.error());
        assertEquals(ENDS + ", status: 407", e.getMessage());
        assertTrue(events.isEmpty());
        assertSame(channel.pipeline().get(HttpConnectHandler.class), channel.pipeline().first());
    }

    @Test
    void gatewayErrorsMeanTheUpstreamIsUnavailable() {
        for (int status : new int[] {502, 503, 504}) {
            errors.clear();
            channel(null);
            written();
            channel.writeInbound(ascii("HTTP/1.0 " + status + " Nope\r\n\r\n"));
            ConnectorException e = assertInstanceOf(ConnectorException.class, errors.get(0));
            assertEquals(RelayError.UPSTREAM_UNAVAILABLE, e.error());
            assertEquals(ENDS + ", status: " + status, e.getMessage());
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void garbageIsProxyUnavailable() {
        channel(null);
        written();
        channel.writeInbound(ascii("SSH-2.0-OpenSSH_9.2\r\n\r\n"));
        ConnectorException e = assertInstanceOf(ConnectorException.class, errors.get(0));
        assertEquals(RelayError.PROXY_UNAVAILABLE, e.error());
        assertEquals(ENDS + ", not an HTTP answer: SSH-2.0-OpenSSH_9.2", e.getMessage());
    }

    @Test
    void hangUpBeforeTheAnswerIsProxyUnavailable() {
        channel(null);
        written();
        channel.close();
        ConnectorException e = assertInstanceOf(ConnectorException.class, errors.get(0));
        assertEquals(RelayError.PROXY_UNAVAILABLE, e.error());
        assertEquals(ENDS + ", proxy closed the connection before answering CONNECT", e.getMessage());
    }

    @Test
    void silenceIsProxyUnavailableAfterTheTimeout() throws InterruptedException {
        channel = new EmbeddedChannel(new HttpConnectHandler("h:1", null, ENDS, 50), new ChannelInboundHandlerAdapter() {
            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                errors.add(cause);
            }
        });
        written();
        TimeUnit.MILLISECONDS.sleep(80);
        channel.runPendingTasks();
        ConnectorException e = assertInstanceOf(ConnectorException.class, errors.get(0));
        assertEquals(ENDS + ", no answer to CONNECT within 50 ms", e.getMessage());
        assertFalse(errors.size() > 1);
    }

    @Test
    void statusLineParsing() {
        assertEquals(200, HttpConnectHandler.statusOf("HTTP/1.1 200 Connection established"));
        assertEquals(407, HttpConnectHandler.statusOf("HTTP/1.0 407"));
        assertEquals(-1, HttpConnectHandler.statusOf("HTTP/1.1 2000 x"));
        assertEquals(-1, HttpConnectHandler.statusOf("HTTP/2 200"));
        assertEquals(-1, HttpConnectHandler.statusOf("http/1.1 200 ok"));
    }
}
