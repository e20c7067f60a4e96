package io.pushrelay.core.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.LogCapture;
import io.pushrelay.core.testing.Requests;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Requests and connections a relay must refuse, over real sockets. */
class RelayListenerHardeningTest {
    private static final String POST = "POST /3/device/" + Requests.TOKEN + " HTTP/1.1\r\nHost: api.push.apple.com\r\n"
            + "apns-topic: com.example\r\n";
    private static final String GOOD = POST + "Content-Length: 2\r\n\r\n{}";

    @ParameterizedTest
    @ValueSource(strings = {
        "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n0\r\n\r\n",
        "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
        "Transfer-Encoding: chunked\r\n\r\n-1\r\n{}\r\n0\r\n\r\n",
        "Transfer-Encoding: chunked\r\n\r\n2;\u0000\r\n{}\r\n0\r\n\r\n",
        "X-Fold: a\r\n b\r\nContent-Length: 2\r\n\r\n{}",
        "X-Bare: a\nContent-Length: 2\r\n\r\n{}",
        "X-Nul: a\u0000b\r\nContent-Length: 2\r\n\r\n{}",
        "Transfer-Encoding: xchunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    })
    void smugglingShapeShouldAnswer400CloseAndNeverReachTheUpstream(String shape, @TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.plaintext(dir); Socket socket = RawClient.plain(relay.port())) {
            RawClient.send(socket, POST + shape + GOOD);
            String out = RawClient.readToEnd(socket);
            assertTrue(out.startsWith("HTTP/1.1 400 Bad Request\r\n"), out);
            assertEquals(1, out.split("HTTP/1.1 ").length - 1, "one answer only: " + out);
            assertTrue(out.endsWith("{\"reason\":\"RelayBadRequest\"}"), out);
            assertEquals(0, relay.upstream.calls());
        }
    }

    @Test
    void oversizedRequestLineAndHeadersShouldAnswer400(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.plaintext(dir)) {
            for (String request : List.of(
                    "POST /3/device/" + "a".repeat(9000) + " HTTP/1.1\r\nHost: api.push.apple.com\r\n\r\n",
                    POST + ("X-Big: " + "b".repeat(2000) + "\r\n").repeat(9) + "Content-Length: 2\r\n\r\n{}")) {
                try (Socket socket = RawClient.plain(relay.port())) {
                    RawClient.send(socket, request);
                    String out = RawClient.readToEnd(socket);
                    assertTrue(out.startsWith("HTTP/1.1 400 Bad Request\r\n"), out);
                }
            }
            assertEquals(0, relay.upstream.calls());
        }
    }

    @Test
    void smugglingOverTlsShouldBeRefusedTheSameWithAndWithoutAlpn(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            for (String[] alpn : List.of(new String[] {"http/1.1"}, new String[0])) {
                try (SSLSocket socket = RawClient.tls(relay.port(), relay.caPem(), null, "api.push.apple.com", alpn)) {
                    RawClient.send(socket, POST + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + GOOD);
                    String out = RawClient.readToEnd(socket);
                    assertTrue(out.startsWith("HTTP/1.1 400 Bad Request\r\n"), out);
                }
            }
            assertEquals(0, relay.upstream.calls());
            assertEquals(1, relay.listener.counters().h1Alpn());
            assertEquals(1, relay.listener.counters().h1WithoutAlpn());
        }
    }

    @Test
    void pipelinedRequestsShouldBeAnsweredInOrderOnOneConnection(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.plaintext(dir); Socket socket = RawClient.plain(relay.port())) {
            StringBuilder requests = new StringBuilder();
            for (int i = 0; i < 10; i++) {
                requests.append(POST).append("apns-id: id-").append(i).append("\r\nContent-Length: 2\r\n\r\n{}");
            }
            RawClient.send(socket, requests.toString());
            for (int i = 0; i < 10; i++) {
                String response = RawClient.readResponse(socket);
                assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), response);
                assertTrue(response.contains("apns-id: id-" + i + "\r\n"), i + ": " + response);
            }
            assertEquals(10, relay.upstream.calls());
        }
    }

    @Test
    void expect100ContinueShouldBeHonouredOverASocket(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.plaintext(dir); Socket socket = RawClient.plain(relay.port())) {
            RawClient.send(socket, POST + "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n");
            byte[] interim = socket.getInputStream().readNBytes("HTTP/1.1 100 Continue\r\n\r\n".length());
            assertEquals("HTTP/1.1 100 Continue\r\n\r\n", new String(interim));
            RawClient.send(socket, "{}");
            assertTrue(RawClient.readResponse(socket).startsWith("HTTP/1.1 200 OK"));
        }
    }

    @Test
    void contentLengthOverTheLimitShouldBeAnsweredBeforeTheBodyIsSent(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.plaintext(dir); Socket socket = RawClient.plain(relay.port())) {
            RawClient.send(socket, POST + "Content-Length: 100000\r\n\r\n");
            String response = RawClient.readResponse(socket);
            assertTrue(response.startsWith("HTTP/1.1 413 Payload Too Large\r\n"), response);
            assertTrue(response.contains("connection: close"), response);
            assertTrue(RawClient.closedByPeer(socket));
            assertEquals(0, relay.upstream.calls());
        }
    }

    @Test
    void plainBytesOnTheTlsPortShouldCloseOnlyThatConnection(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir);
             LogCapture log = LogCapture.of(ProtocolNegotiationHandler.class)) {
            HttpClient http = RelayListenerPeersTest.jdkClient(relay);
            assertEquals(200, http.send(RelayListenerPeersTest.jdkPost(relay, "{}"), HttpResponse.BodyHandlers.ofString())
                    .statusCode());
            try (Socket socket = RawClient.plain(relay.port())) {
                RawClient.send(socket, GOOD);
                assertEquals("", RawClient.readToEnd(socket));
            }
            assertEquals(200, http.send(RelayListenerPeersTest.jdkPost(relay, "{}"), HttpResponse.BodyHandlers.ofString())
                    .statusCode());
            assertEquals(1, relay.listener.counters().notTls());
            assertEquals(2, relay.listener.counters().accepted(), "the good client kept its one connection");
            List<ILoggingEvent> warns = log.events().stream().filter(e -> e.getLevel() == Level.WARN).toList();
            assertEquals(1, warns.size(), log.messages().toString());
            assertTrue(warns.get(0).getFormattedMessage().contains("not TLS"), warns.get(0).getFormattedMessage());
            assertFalse(warns.get(0).getFormattedMessage().contains("apns-topic"), "no payload bytes in the log");
            assertNull(warns.get(0).getThrowableProxy(), "no stack trace");
            assertEquals(2, relay.upstream.calls());
        }
    }

    @Test
    void resetDuringTheHandshakeShouldBeCountedWithoutAWarning(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir);
             LogCapture root = LogCapture.of(org.slf4j.Logger.ROOT_LOGGER_NAME)) {
            try (Socket socket = RawClient.plain(relay.port())) {
                // The first bytes of a ClientHello record, then a reset.
                socket.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01});
                socket.getOutputStream().flush();
                Thread.sleep(100);
                socket.setSoLinger(true, 0);
            }
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (relay.listener.counters().tlsHandshakeResets() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(1, relay.listener.counters().tlsHandshakeResets());
            assertEquals(List.of(), root.messages(Level.WARN));
            assertEquals(List.of(), root.messages(Level.ERROR));
        }
    }

    @Test
    void silentConnectionShouldBeClosedAtTheHandshakeTimeout(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir, c -> c.withHandshakeTimeout(Duration.ofMillis(300)));
             Socket socket = RawClient.plain(relay.port())) {
            long start = System.nanoTime();
            assertTrue(RawClient.closedByPeer(socket));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertTrue(millis >= 250 && millis < 3000, millis + " ms");
            assertEquals(1, relay.listener.counters().tlsHandshakeTimeouts());
        }
    }

    @Test
    void clientThatDistrustsTheCertificateShouldCountAsOneFailedHandshake(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir);
             LogCapture log = LogCapture.of(ProtocolNegotiationHandler.class)) {
            ExternalProcess.Result result = ExternalProcess.run(Duration.ofSeconds(20), Map.of(), List.of("curl", "-sS",
                    "--noproxy", "*", "--http2", "--resolve", "api.push.apple.com:" + relay.port() + ":127.0.0.1",
                    "https://api.push.apple.com:" + relay.port() + "/3/device/" + Requests.TOKEN));
            assertEquals(60, result.exitCode(), result.output());
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (relay.listener.counters().tlsHandshakeFailures() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(1, relay.listener.counters().tlsHandshakeFailures());
            List<ILoggingEvent> warns = log.events().stream().filter(e -> e.getLevel() == Level.WARN).toList();
            assertEquals(1, warns.size(), log.messages().toString());
            assertTrue(warns.get(0).getFormattedMessage().contains("TLS handshake with 127.0.0.1:"),
                    warns.get(0).getFormattedMessage());
            assertNull(warns.get(0).getThrowableProxy(), "no stack trace at WARN");
            assertEquals(0, relay.upstream.calls());
        }
    }

    @Test
    void connectionsBeyondTheMaximumShouldBeClosedAtOnce(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.plaintext(dir, c -> c.withMaxConnections(2));
             Socket first = RawClient.plain(relay.port());
             Socket second = RawClient.plain(relay.port())) {
            RawClient.send(first, GOOD);
            assertTrue(RawClient.readResponse(first).startsWith("HTTP/1.1 200"));
            RawClient.send(second, GOOD);
            assertTrue(RawClient.readResponse(second).startsWith("HTTP/1.1 200"));
            try (Socket third = RawClient.plain(relay.port())) {
                assertTrue(RawClient.closedByPeer(third));
            }
            assertEquals(1, relay.listener.counters().refused());
            RawClient.send(first, GOOD);
            assertTrue(RawClient.readResponse(first).startsWith("HTTP/1.1 200"), "the others are unaffected");
        }
    }

    @Test
    void idleConnectionShouldBeClosed(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.plaintext(dir, c -> c.withIdleTimeout(Duration.ofMillis(300)));
             Socket socket = RawClient.plain(relay.port())) {
            RawClient.send(socket, GOOD);
            assertTrue(RawClient.readResponse(socket).startsWith("HTTP/1.1 200"));
            assertTrue(RawClient.closedByPeer(socket));
            assertEquals(1, relay.listener.counters().inbound().idleClosed());
        }
    }
}
