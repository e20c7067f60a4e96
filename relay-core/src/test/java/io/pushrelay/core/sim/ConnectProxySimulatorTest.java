package io.pushrelay.core.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.eatthepath.pushy.apns.ApnsClient;
import com.eatthepath.pushy.apns.ApnsClientBuilder;
import com.eatthepath.pushy.apns.PushNotificationResponse;
import com.eatthepath.pushy.apns.auth.ApnsSigningKey;
import com.eatthepath.pushy.apns.proxy.HttpProxyHandlerFactory;
import com.eatthepath.pushy.apns.util.SimpleApnsPushNotification;
import io.pushrelay.core.testing.ExternalProcess;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CONNECT proxy simulator with curl, Pushy and plain sockets as clients, the APNS simulator as target. */
class ConnectProxySimulatorTest {
    private static final String HOST = "api.push.apple.com";
    private static final String TOPIC = "com.example.app";

    @TempDir
    static Path dir;
    static SimFixtures.Pki pki;

    @BeforeAll
    static void setUp() {
        pki = SimFixtures.pki(dir.resolve("pki"));
    }

    private static ConnectProxyConfig.Builder proxyTo(int port) {
        return ConnectProxyConfig.builder().basicAuth("relay", "s3cret:x").allowPort(port).host(HOST, "127.0.0.1");
    }

    private static List<String> viaProxy(InetSocketAddress proxy, String... more) {
        List<String> args = new ArrayList<>(List.of("--proxy", "http://127.0.0.1:" + proxy.getPort(), "--proxytunnel",
                "--http2", "--cacert", pki.caPem().toString()));
        args.addAll(List.of(more));
        return args;
    }

    private static List<TunnelRecord> awaitRecords(ConnectProxySimulator proxy, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (proxy.records().size() < n && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return proxy.records();
    }

    @Test
    void curlShouldReachTheApnsSimulatorThroughTheTunnelByName() throws Exception {
        try (ApnsSimulator apns = new ApnsSimulator(); ConnectProxySimulator proxy = new ConnectProxySimulator()) {
            int apnsPort = apns.start(ApnsSimConfig.builder(pki.identity()).build()).getPort();
            InetSocketAddress p = proxy.start(proxyTo(apnsPort).build());
            List<String> args = viaProxy(p, "--proxy-user", "relay:s3cret:x", "-H", "apns-topic: " + TOPIC,
                    "-d", "{\"aps\":{}}", "-w", "\n%{http_code} %{http_connect}",
                    "https://" + HOST + ":" + apnsPort + "/3/device/" + SimFixtures.token(1));
            ExternalProcess.Result result = SimFixtures.curl(args.toArray(String[]::new));
            assertEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().endsWith("\n200 200"), result.output());
            assertEquals(1, apns.acceptedCount());
            List<TunnelRecord> records = awaitRecords(proxy, 1);
            assertEquals(1, records.size(), records.toString());
            TunnelRecord record = records.get(0);
            assertEquals(200, record.status());
            assertEquals(HOST + ":" + apnsPort, record.target());
            assertEquals("127.0.0.1:" + apnsPort, record.upstream());
            assertEquals("relay", record.user());
            assertTrue(record.bytesUp() > 500 && record.bytesDown() > 500, record.logLine());
            ConnectProxySnapshot snapshot = proxy.snapshot();
            assertEquals(1, snapshot.tunnelsOpened());
            assertEquals(0, snapshot.tunnelsActive());
            assertEquals(record.bytesUp(), snapshot.bytesUp());
        }
    }

    @Test
    void missingOrWrongCredentialsShouldGet407AndADisallowedPort403() throws Exception {
        try (ConnectProxySimulator proxy = new ConnectProxySimulator()) {
            InetSocketAddress p = proxy.start(proxyTo(4443).build());
            String url = "https://" + HOST + ":4443/3/device/" + SimFixtures.token(1);
            ExternalProcess.Result none = SimFixtures.curl(viaProxy(p, "-v", "-w", "\n%{http_connect}", url)
                    .toArray(String[]::new));
            assertTrue(none.output().endsWith("\n407"), none.output());
            assertTrue(none.output().contains("Proxy-Authenticate: Basic realm=\"push-relay sim proxy\""),
                    none.output());
            ExternalProcess.Result wrong = SimFixtures.curl(viaProxy(p, "--proxy-user", "relay:nope", "-w",
                    "\n%{http_connect}", url).toArray(String[]::new));
            assertTrue(wrong.output().endsWith("\n407"), wrong.output());
            ExternalProcess.Result port = SimFixtures.curl(viaProxy(p, "--proxy-user", "relay:s3cret:x", "-w",
                    "\n%{http_connect}", "https://" + HOST + ":8443/").toArray(String[]::new));
            assertTrue(port.output().endsWith("\n403"), port.output());
            ConnectProxySnapshot snapshot = proxy.snapshot();
            assertEquals(2, snapshot.refused(407), snapshot.summary());
            assertEquals(1, snapshot.refused(403), snapshot.summary());
            assertEquals(0, snapshot.tunnelsOpened());
            assertEquals(3, snapshot.records().size());
        }
    }

    @Test
    void aRetryAfter407ShouldWorkOnTheSameConnection() throws Exception {
        try (ConnectProxySimulator proxy = new ConnectProxySimulator(); ServerSocket target = new ServerSocket(0, 50,
                InetAddress.getLoopbackAddress())) {
            InetSocketAddress p = proxy.start(proxyTo(target.getLocalPort()).build());
            CompletableFuture<Void> accept = CompletableFuture.runAsync(() -> {
                try (Socket s = target.accept()) {
                    s.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                    s.getInputStream().read();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (Socket s = new Socket(p.getAddress(), p.getPort())) {
                s.setSoTimeout(5000);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                String connect = "CONNECT " + HOST + ":" + target.getLocalPort() + " HTTP/1.1\r\n"
                        + "Host: " + HOST + "\r\n";
                out.write((connect + "\r\n").getBytes(StandardCharsets.US_ASCII));
                assertTrue(readHead(in).startsWith("HTTP/1.1 407 "));
                String auth = java.util.Base64.getEncoder()
                        .encodeToString("relay:s3cret:x".getBytes(StandardCharsets.UTF_8));
                out.write((connect + "Proxy-Authorization: Basic " + auth + "\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                assertEquals("HTTP/1.1 200 Connection established", readHead(in).split("\r\n")[0]);
                assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), in.readNBytes(5));
                out.write('x');
            }
            accept.get(5, TimeUnit.SECONDS);
            assertEquals(1, proxy.snapshot().connectionsOpened());
            assertEquals(1, proxy.tunnelsOpened());
        }
    }

    /** Reads up to the blank line; returns the head plus body when a Content-Length says so. */
    private static String readHead(InputStream in) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            head.append((char) c);
        }
        java.util.regex.Matcher length = java.util.regex.Pattern.compile("Content-Length: (\\d+)").matcher(head);
        if (length.find()) {
            head.append(new String(in.readNBytes(Integer.parseInt(length.group(1))), StandardCharsets.UTF_8));
        }
        return head.toString();
    }

    @Test
    void pushyShouldSendThroughTheProxyToTheApnsSimulator() throws Exception {
        int total = 1000;
        try (ApnsSimulator apns = new ApnsSimulator(); ConnectProxySimulator proxy = new ConnectProxySimulator()) {
            var key = SimFixtures.p256();
            int apnsPort = apns.start(ApnsSimConfig.builder(pki.identity())
                    .tokenKey(new ApnsSimConfig.TokenKey("TEAM000001", "KEY0000001", key.getPublic())).build())
                    .getPort();
            InetSocketAddress p = proxy.start(proxyTo(apnsPort).build());
            @SuppressWarnings("deprecation") // Pushy 0.15 takes only the classic group types
            io.netty.channel.EventLoopGroup group = new io.netty.channel.nio.NioEventLoopGroup(1);
            ApnsClient client = new ApnsClientBuilder()
                    .setApnsServer(HOST, apnsPort)
                    .setSigningKey(new ApnsSigningKey("KEY0000001", "TEAM000001", (ECPrivateKey) key.getPrivate()))
                    .setTrustedServerCertificateChain(pki.caPem().toFile())
                    .setProxyHandlerFactory(new HttpProxyHandlerFactory(p, "relay", "s3cret:x"))
                    .setEventLoopGroup(group)
                    .build();
            try {
                List<CompletableFuture<PushNotificationResponse<SimpleApnsPushNotification>>> futures =
                        new ArrayList<>();
                for (int i = 0; i < total; i++) {
                    futures.add(client.sendNotification(new SimpleApnsPushNotification(SimFixtures.token(i), TOPIC,
                            "{\"aps\":{\"alert\":\"" + i + "\"}}")));
                }
                for (var future : futures) {
                    assertTrue(future.get(30, TimeUnit.SECONDS).isAccepted());
                }
            } finally {
                client.close().get(10, TimeUnit.SECONDS);
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
            assertEquals(total, apns.acceptedCount());
            assertEquals(1, proxy.tunnelsOpened());
            assertEquals(1, apns.snapshot().connectionsOpened());
        }
    }

    @Test
    void tunnelShouldCarry16MiBBothWaysIntact() throws Exception {
        int size = 16 << 20;
        byte[] data = new byte[size];
        new Random(42).nextBytes(data);
        try (ConnectProxySimulator proxy = new ConnectProxySimulator(); ServerSocket echo = new ServerSocket(0, 50,
                InetAddress.getLoopbackAddress())) {
            InetSocketAddress p = proxy.start(ConnectProxyConfig.builder().allowPort(echo.getLocalPort()).build());
            CompletableFuture<Void> echoing = CompletableFuture.runAsync(() -> {
                try (Socket s = echo.accept()) {
                    s.getInputStream().transferTo(s.getOutputStream());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (Socket s = new Socket(p.getAddress(), p.getPort())) {
                s.setSoTimeout(10_000);
                InputStream in = s.getInputStream();
                s.getOutputStream().write(("CONNECT 127.0.0.1:" + echo.getLocalPort() + " HTTP/1.1\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                assertEquals("HTTP/1.1 200 Connection established\r\n\r\n", readHead(in));
                CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                    try {
                        s.getOutputStream().write(data);
                        s.shutdownOutput();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                byte[] back = in.readNBytes(size);
                writing.get(10, TimeUnit.SECONDS);
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                assertArrayEquals(sha.digest(data), sha.digest(back));
            }
            echoing.get(10, TimeUnit.SECONDS);
            List<TunnelRecord> records = awaitRecords(proxy, 1);
            assertEquals(size, records.get(0).bytesUp());
            assertEquals(size, records.get(0).bytesDown());
        }
    }

    @Test
    void aTargetThatDoesNotReadShouldHoldTheClientBack() throws Exception {
        try (ConnectProxySimulator proxy = new ConnectProxySimulator(); ServerSocket stalled = new ServerSocket(0, 50,
                InetAddress.getLoopbackAddress())) {
            InetSocketAddress p = proxy.start(ConnectProxyConfig.builder().allowPort(stalled.getLocalPort()).build());
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    Socket s = stalled.accept();
                    s.setReceiveBufferSize(64 * 1024);
                    return s;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            AtomicLong written = new AtomicLong();
            long attempt = 256L << 20;
            try (Socket s = new Socket(p.getAddress(), p.getPort())) {
                s.getOutputStream().write(("CONNECT 127.0.0.1:" + stalled.getLocalPort() + " HTTP/1.1\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                s.setSoTimeout(5000);
                readHead(s.getInputStream());
                Thread writer = new Thread(() -> {
                    byte[] chunk = new byte[64 * 1024];
                    try {
                        while (written.get() < attempt) {
                            s.getOutputStream().write(chunk);
                            written.addAndGet(chunk.length);
                        }
                    } catch (java.io.IOException e) {
                        // the socket is closed at the end of the test
                    }
                });
                writer.setDaemon(true);
                writer.start();
                Thread.sleep(1500);
                long proxied = proxy.snapshot().bytesUp();
                assertTrue(written.get() < attempt, "the client wrote everything: no back-pressure");
                assertTrue(proxied < 64L << 20, "the proxy read " + proxied + " bytes from the client");
                assertFalse(proxied == 0, "nothing went through");
            } finally {
                accepted.get(5, TimeUnit.SECONDS).close();
            }
        }
    }

    @Test
    void nonConnectShouldGet501AndGarbage400() throws Exception {
        try (ConnectProxySimulator proxy = new ConnectProxySimulator()) {
            InetSocketAddress p = proxy.start(ConnectProxyConfig.builder().build());
            ExternalProcess.Result get = SimFixtures.curl("--proxy", "http://127.0.0.1:" + p.getPort(),
                    "-w", "\n%{http_code}", "http://example.invalid/");
            assertTrue(get.output().endsWith("\n501"), get.output());
            try (Socket s = new Socket(p.getAddress(), p.getPort())) {
                s.setSoTimeout(5000);
                s.getOutputStream().write("\u0016\u0003\u0001garbage\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                assertTrue(readHead(s.getInputStream()).startsWith("HTTP/1.1 400 Bad Request"));
                assertEquals(-1, s.getInputStream().read());
            }
            assertEquals(1, proxy.snapshot().refused(501));
            assertEquals(1, proxy.snapshot().refused(400));
        }
    }
}
