package io.pushrelay.core.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.inbound.H1InboundHandler;
import io.pushrelay.core.inbound.H2InboundHandler;
import io.pushrelay.core.inbound.InboundCounters;
import io.pushrelay.core.inbound.InboundSettings;
import io.pushrelay.core.policy.Policy;
import io.pushrelay.core.policy.RouteTable;
import io.pushrelay.core.testing.CapturingUpstream;
import io.pushrelay.core.testing.LogCapture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** EmbeddedChannel tests of the listener's own handlers. */
class ListenerHandlersTest {
    private final CapturingUpstream upstream = new CapturingUpstream();
    private final Forwarder forwarder = new Forwarder(new Policy(RouteTable.defaults(false)), upstream);
    private final InboundSettings settings = new InboundSettings("https", 100, 16, new InboundCounters());
    private final ListenerCounters counters = new ListenerCounters();
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void tearDown() {
        upstream.close();
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    private EmbeddedChannel channel(io.netty.channel.ChannelHandler... handlers) {
        EmbeddedChannel ch = new EmbeddedChannel(handlers);
        channels.add(ch);
        return ch;
    }

    private static ListenerConfig config() {
        return ListenerConfig.tls("unit", new InetSocketAddress("127.0.0.1", 0),
                TlsConfig.of(Path.of("chain.pem"), Path.of("key.pem")));
    }

    // ---- H2PrefaceDetector ----

    private EmbeddedChannel prefaceChannel() {
        EmbeddedChannel ch = channel();
        ch.pipeline().addLast(PipelineNames.H2_PREFACE, new H2PrefaceDetector(settings, forwarder, counters));
        ch.pipeline().addLast(PipelineNames.ERRORS, new ConnectionErrorHandler("unit"));
        return ch;
    }

    @Test
    void prefaceShouldPutInHttp2AndHandItTheBytes() {
        EmbeddedChannel ch = prefaceChannel();
        ByteBuf preface = Http2CodecUtil.connectionPrefaceBuf();
        // Byte by byte: nothing is decided before the 24th.
        while (preface.isReadable()) {
            assertTrue(ch.pipeline().get(PipelineNames.H2_PREFACE) != null);
            ch.writeInbound(preface.readRetainedSlice(1));
        }
        preface.release();
        assertEquals(List.of(PipelineNames.H2, PipelineNames.ERRORS), names(ch));
        assertTrue(ch.pipeline().get(PipelineNames.H2) instanceof H2InboundHandler);
        assertEquals(1, counters.h2PriorKnowledge());
        assertTrue(ch.isOpen(), "the h2 handler took the preface as valid");
    }

    @Test
    void firstDifferentByteShouldPutInHttp11() {
        EmbeddedChannel ch = prefaceChannel();
        ch.writeInbound(Unpooled.copiedBuffer("PRI * HTTP/1.1\r\n", StandardCharsets.US_ASCII));
        assertEquals(List.of(PipelineNames.H1_DECODER, PipelineNames.H1_ENCODER, PipelineNames.H1, PipelineNames.ERRORS),
                names(ch));
        assertTrue(ch.pipeline().get(PipelineNames.H1) instanceof H1InboundHandler);
        assertEquals(1, counters.h1WithoutAlpn());
    }

    @Test
    void http11RequestWithoutAlpnShouldReachTheHttp11Handler() {
        EmbeddedChannel ch = prefaceChannel();
        ch.writeInbound(Unpooled.copiedBuffer("POST /3/device/abc HTTP/1.1\r\nHost: api.push.apple.com\r\n"
                + "Content-Length: 2\r\n\r\n{}", StandardCharsets.US_ASCII));
        assertEquals(1, upstream.calls().size(), "the bytes seen by the detector went on");
        assertEquals("{}", upstream.call(0).body());
    }

    // ---- ProtocolNegotiationHandler ----

    private EmbeddedChannel negotiationChannel() {
        EmbeddedChannel ch = channel();
        ch.pipeline().addLast(PipelineNames.ALPN, new ProtocolNegotiationHandler(config(), counters, settings, forwarder));
        ch.pipeline().addLast(PipelineNames.ERRORS, new ConnectionErrorHandler("unit"));
        return ch;
    }

    @Test
    void unknownProtocolShouldFailLoudly() throws Exception {
        EmbeddedChannel ch = negotiationChannel();
        ProtocolNegotiationHandler handler = (ProtocolNegotiationHandler) ch.pipeline().get(PipelineNames.ALPN);
        try {
            handler.configurePipeline(ch.pipeline().context(PipelineNames.ALPN), "spdy/3.1");
            throw new AssertionError("no exception");
        } catch (IllegalStateException e) {
            assertTrue(e.getMessage().contains("spdy/3.1"), e.getMessage());
        }
    }

    @Test
    void eachAlpnChoiceShouldPutInItsHandlers() throws Exception {
        EmbeddedChannel h2 = negotiationChannel();
        ((ProtocolNegotiationHandler) h2.pipeline().get(PipelineNames.ALPN))
                .configurePipeline(h2.pipeline().context(PipelineNames.ALPN), "h2");
        assertEquals(List.of(PipelineNames.ALPN, PipelineNames.H2, PipelineNames.ERRORS), names(h2));
        EmbeddedChannel h1 = negotiationChannel();
        ((ProtocolNegotiationHandler) h1.pipeline().get(PipelineNames.ALPN))
                .configurePipeline(h1.pipeline().context(PipelineNames.ALPN), "http/1.1");
        assertEquals(List.of(PipelineNames.ALPN, PipelineNames.H1_DECODER, PipelineNames.H1_ENCODER, PipelineNames.H1,
                PipelineNames.ERRORS), names(h1));
        EmbeddedChannel none = negotiationChannel();
        ((ProtocolNegotiationHandler) none.pipeline().get(PipelineNames.ALPN))
                .configurePipeline(none.pipeline().context(PipelineNames.ALPN), ProtocolNegotiationHandler.NO_ALPN);
        assertEquals(List.of(PipelineNames.ALPN, PipelineNames.H2_PREFACE, PipelineNames.ERRORS), names(none));
        assertEquals(1, counters.h2Alpn());
        assertEquals(1, counters.h1Alpn());
    }

    @Test
    void failedHandshakeShouldBeOneWarnWithoutStackAndOneCount() {
        try (LogCapture log = LogCapture.of(ProtocolNegotiationHandler.class)) {
            EmbeddedChannel ch = negotiationChannel();
            SSLHandshakeException cause = new SSLHandshakeException("no cipher suites in common");
            ch.pipeline().fireUserEventTriggered(new SslHandshakeCompletionEvent(cause));
            ch.pipeline().fireExceptionCaught(new io.netty.handler.codec.DecoderException(cause));
            assertEquals(1, counters.tlsHandshakeFailures());
            List<ILoggingEvent> warns = log.events().stream().filter(e -> e.getLevel() == Level.WARN).toList();
            assertEquals(1, warns.size());
            assertTrue(warns.get(0).getFormattedMessage().endsWith(
                    "failed: SSLHandshakeException: no cipher suites in common"), warns.get(0).getFormattedMessage());
            assertNull(warns.get(0).getThrowableProxy());
            assertFalse(ch.isOpen());
        }
    }

    @Test
    void clientHelloTimeoutShouldCountAsTimeout() {
        EmbeddedChannel ch = negotiationChannel();
        ch.pipeline().fireUserEventTriggered(new SniCompletionEvent(new SslHandshakeTimeoutException("timed out")));
        assertEquals(1, counters.tlsHandshakeTimeouts());
        assertEquals(0, counters.tlsHandshakeFailures());
    }

    @Test
    void resetBeforeTheHandshakeShouldOnlyBeCounted() {
        try (LogCapture log = LogCapture.of(ProtocolNegotiationHandler.class)) {
            EmbeddedChannel ch = negotiationChannel();
            ch.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
            assertEquals(1, counters.tlsHandshakeResets());
            assertEquals(List.of(), log.messages(Level.WARN));
            assertFalse(ch.isOpen());
        }
    }

    // ---- ConnectionErrorHandler ----

    @Test
    void unexpectedErrorShouldCloseWithOneWarnWithoutStack() {
        try (LogCapture log = LogCapture.of(ConnectionErrorHandler.class)) {
            EmbeddedChannel ch = channel(new ChannelInboundHandlerAdapter(), new ConnectionErrorHandler("unit"));
            ch.pipeline().fireExceptionCaught(new IllegalStateException("odd"));
            assertFalse(ch.isOpen());
            List<ILoggingEvent> warns = log.events().stream().filter(e -> e.getLevel() == Level.WARN).toList();
            assertEquals(1, warns.size());
            assertTrue(warns.get(0).getFormattedMessage().endsWith("IllegalStateException: odd"));
            assertNull(warns.get(0).getThrowableProxy());
        }
    }

    @Test
    void brokenPipeShouldCloseQuietly() {
        try (LogCapture log = LogCapture.of(ConnectionErrorHandler.class)) {
            EmbeddedChannel ch = channel(new ConnectionErrorHandler("unit"));
            ch.pipeline().fireExceptionCaught(new IOException("Broken pipe"));
            assertFalse(ch.isOpen());
            assertEquals(List.of(), log.messages(Level.WARN));
        }
    }

    private static List<String> names(EmbeddedChannel ch) {
        List<String> names = new ArrayList<>(ch.pipeline().names());
        names.removeIf(n -> n.startsWith("DefaultChannelPipeline$TailContext"));
        return names;
    }
}
