package io.pushrelay.core.listener;

import static io.pushrelay.core.listener.PipelineNames.ALPN;
import static io.pushrelay.core.listener.PipelineNames.ERRORS;
import static io.pushrelay.core.listener.PipelineNames.H1;
import static io.pushrelay.core.listener.PipelineNames.H1_DECODER;
import static io.pushrelay.core.listener.PipelineNames.H1_ENCODER;
import static io.pushrelay.core.listener.PipelineNames.H2;
import static io.pushrelay.core.listener.PipelineNames.H2_PREFACE;
import static io.pushrelay.core.listener.PipelineNames.IDLE;
import static io.pushrelay.core.listener.PipelineNames.SNI;
import static io.pushrelay.core.listener.PipelineNames.TLS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.eatthepath.pushy.apns.ApnsClient;
import com.eatthepath.pushy.apns.util.SimpleApnsPushNotification;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The order of {@link PipelineNames}' javadoc, checked on live server-side connections. */
class PipelineNamesTest {
    private static final String GOOD = "POST /3/device/abcd HTTP/1.1\r\nHost: api.push.apple.com\r\n"
            + "apns-topic: t\r\nContent-Length: 2\r\n\r\n{}";

    /** The pipeline once it stops changing (handlers replace themselves on events). */
    private static List<String> settled(RelayFixture relay, List<String> expected) throws Exception {
        List<String> names = List.of();
        for (int i = 0; i < 100; i++) {
            names = await(() -> relay.pipelineNames());
            if (names.equals(expected)) {
                return names;
            }
            Thread.sleep(20);
        }
        return names;
    }

    private static <T> T await(Callable<T> call) throws Exception {
        for (int i = 0; ; i++) {
            try {
                return call.call();
            } catch (AssertionError e) {
                if (i > 100) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }

    @Test
    void h2ChosenByAlpn(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            var http = RelayListenerPeersTest.jdkClient(relay);
            assertEquals(200, http.send(RelayListenerPeersTest.jdkPost(relay, "{}"),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            List<String> expected = List.of(IDLE, TLS, H2, ERRORS);
            assertEquals(expected, settled(relay, expected));
        }
    }

    @Test
    void h2ByPrefaceWithoutAlpn(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            ApnsClient client = RelayListenerPeersTest.pushy(relay, false);
            try {
                assertTrue(client.sendNotification(new SimpleApnsPushNotification(RelayListenerPeersTest.TOKEN,
                        "com.example", "{}")).get(10, TimeUnit.SECONDS).isAccepted());
                List<String> expected = List.of(IDLE, TLS, H2, ERRORS);
                assertEquals(expected, settled(relay, expected));
                assertEquals(1, relay.listener.counters().h2PriorKnowledge());
            } finally {
                client.close().get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void http11ChosenByAlpn(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir);
             SSLSocket socket = RawClient.tls(relay.port(), relay.caPem(), null, "api.push.apple.com", "http/1.1")) {
            RawClient.send(socket, GOOD);
            assertTrue(RawClient.readResponse(socket).startsWith("HTTP/1.1 200 OK"));
            List<String> expected = List.of(IDLE, TLS, H1_DECODER, H1_ENCODER, H1, ERRORS);
            assertEquals(expected, settled(relay, expected));
        }
    }

    @Test
    void http11WithoutAlpnAfterThePrefaceCheck(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir);
             SSLSocket socket = RawClient.tls(relay.port(), relay.caPem(), null, "api.push.apple.com")) {
            List<String> waiting = List.of(IDLE, TLS, H2_PREFACE, ERRORS);
            assertEquals(waiting, settled(relay, waiting), "handshake done, no byte yet");
            RawClient.send(socket, GOOD);
            assertTrue(RawClient.readResponse(socket).startsWith("HTTP/1.1 200 OK"));
            List<String> expected = List.of(IDLE, TLS, H1_DECODER, H1_ENCODER, H1, ERRORS);
            assertEquals(expected, settled(relay, expected));
            assertEquals(1, relay.listener.counters().h1WithoutAlpn());
        }
    }

    @Test
    void acceptedTlsConnectionBeforeItsClientHello(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir); Socket socket = RawClient.plain(relay.port())) {
            List<String> expected = List.of(IDLE, SNI, ALPN, ERRORS);
            assertEquals(expected, settled(relay, expected));
            assertTrue(socket.isConnected());
        }
    }

    @Test
    void plaintextListener(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.plaintext(dir); Socket socket = RawClient.plain(relay.port())) {
            RawClient.send(socket, GOOD);
            assertTrue(RawClient.readResponse(socket).startsWith("HTTP/1.1 200 OK"));
            List<String> expected = List.of(IDLE, H1_DECODER, H1_ENCODER, H1, ERRORS);
            assertEquals(expected, settled(relay, expected));
        }
    }
}
