package io.pushrelay.core.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.eatthepath.pushy.apns.ApnsClient;
import com.eatthepath.pushy.apns.PushNotificationResponse;
import com.eatthepath.pushy.apns.util.SimpleApnsPushNotification;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Draining a listener: stop accepting, finish what is in flight, then GOAWAY or Connection: close. */
class RelayListenerDrainTest {
    private static final String GOOD = "POST /3/device/abcd HTTP/1.1\r\nHost: api.push.apple.com\r\n"
            + "apns-topic: t\r\nContent-Length: 2\r\n\r\n{}";

    private static void awaitCalls(RelayFixture relay, int calls) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (relay.upstream.calls() < calls && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(calls, relay.upstream.calls());
    }

    @Test
    void pushyShouldGetEveryStreamInFlightAnsweredBeforeTheGoAway(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            relay.upstream.delay(Duration.ofMillis(400));
            ApnsClient client = RelayListenerPeersTest.pushy(relay, false);
            try {
                List<CompletableFuture<PushNotificationResponse<SimpleApnsPushNotification>>> futures = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    futures.add(client.sendNotification(new SimpleApnsPushNotification(RelayListenerPeersTest.TOKEN,
                            "com.example", RelayListenerPeersTest.PAYLOAD)));
                }
                awaitCalls(relay, 50);
                CompletableFuture<Void> drained = relay.listener.drain();
                assertFalse(drained.isDone(), "streams are in flight");
                assertThrows(IOException.class, () -> RawClient.plain(relay.port()).close(), "no longer accepting");
                for (var future : futures) {
                    assertTrue(future.get(10, TimeUnit.SECONDS).isAccepted());
                }
                drained.get(10, TimeUnit.SECONDS);
                assertTrue(relay.listener.connections().isEmpty());
            } finally {
                client.close().get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void closeShouldNotWaitForStreamsInFlight(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            relay.upstream.delay(Duration.ofSeconds(30));
            ApnsClient client = RelayListenerPeersTest.pushy(relay, false);
            try {
                var future = client.sendNotification(new SimpleApnsPushNotification(RelayListenerPeersTest.TOKEN,
                        "com.example", RelayListenerPeersTest.PAYLOAD));
                awaitCalls(relay, 1);
                long start = System.nanoTime();
                relay.listener.close();
                assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "closed at once");
                assertTrue(relay.listener.connections().isEmpty());
                assertThrows(Exception.class, () -> future.get(10, TimeUnit.SECONDS));
            } finally {
                client.close().get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void http11ShouldAnswerInFlightWithConnectionCloseThenClose(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.plaintext(dir);
             Socket busy = RawClient.plain(relay.port());
             Socket idle = RawClient.plain(relay.port())) {
            RawClient.send(idle, GOOD);
            assertTrue(RawClient.readResponse(idle).startsWith("HTTP/1.1 200 OK"));
            relay.upstream.delay(Duration.ofMillis(300));
            RawClient.send(busy, GOOD);
            awaitCalls(relay, 2);
            CompletableFuture<Void> drained = relay.listener.drain();
            assertTrue(RawClient.closedByPeer(idle), "an idle keep-alive connection closes at once");
            String response = RawClient.readResponse(busy);
            assertTrue(response.startsWith("HTTP/1.1 200 OK") && response.contains("connection: close"), response);
            assertTrue(RawClient.closedByPeer(busy));
            drained.get(5, TimeUnit.SECONDS);
        }
    }
}
