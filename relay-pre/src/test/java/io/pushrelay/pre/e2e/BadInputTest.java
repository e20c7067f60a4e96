package io.pushrelay.pre.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBufAllocator;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.testing.H2TestServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What relay-pre (in this JVM) does with requests it must not forward, in front of an upstream
 * that counts what reaches it: an unknown {@code :authority} (421), a body over the APNS limit
 * (413, the upstream sees nothing), plaintext bytes on the TLS port (that connection closed,
 * the others served). And no relay-made answer ever carries a device-removal reason.
 */
class BadInputTest {
    @TempDir
    static Path dir;
    static E2ePki pki;
    static H2TestServer upstream;
    static InJvmRelay relay;

    @BeforeAll
    static void start() throws Exception {
        pki = E2ePki.create(dir.resolve("pki"));
        upstream = H2TestServer.builder(pki.apnsCert(), pki.apnsKey()).start();
        relay = new InJvmRelay(pki, dir, String.join("\n",
                "upstream:",
                "  ca: " + pki.apnsCa(),
                "routes:",
                "  api.push.apple.com: 127.0.0.1:" + upstream.port()));
    }

    @AfterAll
    static void stop() {
        if (relay != null) {
            relay.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    @Test
    void unknownAuthorityShouldAnswer421AndReachNothing() {
        int before = upstream.processed();
        Senders.CurlAnswer a = Senders.curl(dir, pki.relayCa(), relay.port(), Notifications.token(1), "{}",
                "-H", "Host: push.example.com").assertNoDeviceRemovalReason();
        assertEquals(421, a.status(), a.output());
        assertEquals("{\"reason\":\"RelayMisdirectedRequest\"}", a.body(), a.output());
        assertEquals("2", a.httpVersion(), a.output());
        assertEquals(before, upstream.processed());
        assertTrue(relay.accessLog().stream().anyMatch(l -> l.contains(" push.example.com POST ") && l.contains(" 421 ")
                && l.contains(" NR ")), relay.accessLog().toString());
    }

    @Test
    void bodyOverTheLimitShouldAnswer413AndTheUpstreamSeeNothing() {
        int connections = upstream.connections();
        int processed = upstream.processed();
        String over = "{\"aps\":{\"alert\":\"" + "x".repeat(5200) + "\"}}";
        Senders.CurlAnswer a = Senders.curl(dir, pki.relayCa(), relay.port(), Notifications.token(2), over)
                .assertNoDeviceRemovalReason();
        assertEquals(413, a.status(), a.output());
        assertEquals("{\"reason\":\"PayloadTooLarge\"}", a.body(), a.output());
        assertEquals(processed, upstream.processed());
        assertEquals(connections, upstream.connections());
        // 5120 bytes (a VoIP payload's limit) is the most that passes.
        String limit = "{\"a\":\"" + "y".repeat(5120 - 8) + "\"}";
        assertEquals(5120, limit.getBytes(StandardCharsets.UTF_8).length);
        Senders.CurlAnswer ok = Senders.curl(dir, pki.relayCa(), relay.port(), Notifications.token(2), limit);
        assertEquals(200, ok.status(), ok.output());
        assertEquals(processed + 1, upstream.processed());
    }

    @Test
    void plaintextOnTheTlsPortShouldCloseThatConnectionAndLeaveOthersServed() throws Exception {
        Path body = dir.resolve("small.json");
        Files.writeString(body, "{\"aps\":{\"alert\":\"hi\"}}");
        int processed = upstream.processed();
        CompletableFuture<Senders.H2loadResult> load = CompletableFuture.supplyAsync(
                () -> Senders.h2load(body, relay.port(), Notifications.token(3), 300, 2, 20));
        for (int i = 0; i < 5; i++) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", relay.port()), 5000);
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /3/device/" + Notifications.token(9) + " HTTP/1.1\r\nHost: api.push.apple.com\r\n"
                        + "Content-Length: 2\r\n\r\n{}").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                long start = System.nanoTime();
                assertTrue(readsUntilClosed(socket.getInputStream()), "connection " + i + " left open");
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                System.out.println("plaintext connection " + i + " closed after " + millis + " ms");
                assertTrue(millis < 5000, "closed after " + millis + " ms");
            }
        }
        Senders.H2loadResult r = load.get(90, TimeUnit.SECONDS);
        System.out.println(r.output());
        assertEquals(300, r.s2xx(), r.output());
        Senders.CurlAnswer after = Senders.curl(dir, pki.relayCa(), relay.port(), Notifications.token(4), "{}");
        assertEquals(200, after.status(), after.output());
        assertEquals(processed + 301, upstream.processed());
    }

    /** True when the peer closes (EOF or reset) before the read timeout; TLS alert bytes may come first. */
    private static boolean readsUntilClosed(InputStream in) throws Exception {
        byte[] buffer = new byte[1024];
        try {
            while (true) {
                if (in.read(buffer) < 0) {
                    return true;
                }
            }
        } catch (SocketException e) {
            return true; // reset by the relay
        } catch (SocketTimeoutException e) {
            return false;
        }
    }

    @Test
    void relayMadeAnswersShouldNeverUseDeviceRemovalReasons() {
        for (RelayError error : RelayError.values()) {
            RelayResponse response = RelayResponse.of(error, ByteBufAllocator.DEFAULT);
            try {
                String text = response.body().toString(StandardCharsets.UTF_8);
                assertEquals("{\"reason\":\"" + error.reason() + "\"}", text);
                for (String reason : Senders.DEVICE_REMOVAL_REASONS) {
                    assertFalse(text.contains(reason), error + ": " + text);
                }
                // Relay faults are 5xx so that senders retry; refusals 4xx.
                assertTrue(error.status() >= 400 && error.status() < 600, error.toString());
            } finally {
                response.release();
            }
        }
    }
}
