package io.pushrelay.core.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.channel.EventLoopGroup;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.observe.metrics.RelayMetrics;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.transport.Transports;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The admin server on real loopback sockets, with the JDK's HttpClient and curl as clients. */
class AdminServerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final RelayMetrics metrics = new RelayMetrics("4.5.6", true);
    private final AtomicReference<Readiness> readiness = new AtomicReference<>(Readiness.notReady("listener pre not bound"));

    @Test
    void jdkHttpClientShouldReadEveryEndpointOverOneConnection() throws Exception {
        metrics.route("api.push.apple.com").upstreamAnswered(200, 3_000_000);
        metrics.route("api.push.apple.com").relayAnswered(RelayError.PROXY_REFUSED, 4_000_000);
        try (AdminServer server = new AdminServer()) {
            InetSocketAddress bound = server.start(new InetSocketAddress("127.0.0.1", 0), metrics, readiness::get);
            assertTrue(bound.getPort() > 0);
            assertEquals(bound, server.address());
            String base = "http://127.0.0.1:" + bound.getPort();
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();

            HttpResponse<String> health = send(http, HttpRequest.newBuilder(URI.create(base + "/healthz")));
            assertEquals(200, health.statusCode());
            assertEquals("ok\n", health.body());

            HttpResponse<String> notReady = send(http, HttpRequest.newBuilder(URI.create(base + "/readyz")));
            assertEquals(503, notReady.statusCode());
            assertEquals("not ready: listener pre not bound\n", notReady.body());
            readiness.set(Readiness.READY);
            assertEquals(200, send(http, HttpRequest.newBuilder(URI.create(base + "/readyz"))).statusCode());

            HttpResponse<String> scrape = send(http, HttpRequest.newBuilder(URI.create(base + "/metrics")));
            assertEquals(200, scrape.statusCode());
            assertEquals("text/plain; version=0.0.4; charset=utf-8", scrape.headers().firstValue("content-type").orElseThrow());
            assertTrue(scrape.body().contains("push_relay_requests_total{flag=\"PR\",route=\"api.push.apple.com\",status=\"502\"} 1.0"),
                    scrape.body());
            assertTrue(scrape.body().contains("push_relay_build_info{version=\"4.5.6\"} 1"));
            assertTrue(scrape.body().contains("jvm_memory_used_bytes{area=\"heap\"}"));

            assertEquals(404, send(http, HttpRequest.newBuilder(URI.create(base + "/nope"))).statusCode());
            HttpResponse<String> post = send(http, HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")));
            assertEquals(405, post.statusCode());
            assertEquals("GET", post.headers().firstValue("allow").orElseThrow());

            // Keep-alive: seven exchanges, one connection.
            assertEquals(1, server.openConnections());
        }
    }

    @Test
    void curlShouldReuseTheConnectionAndGetTheScrape() throws Exception {
        metrics.listener("pre").connectionAccepted();
        try (AdminServer server = new AdminServer()) {
            int port = server.start(new InetSocketAddress("127.0.0.1", 0), metrics, readiness::get).getPort();
            String base = "http://127.0.0.1:" + port;
            ExternalProcess.Result curl = ExternalProcess.run(TIMEOUT, Map.of(),
                    List.of("curl", "-sS", "-v", "--max-time", "5", base + "/healthz", base + "/metrics"));
            assertEquals(0, curl.exitCode(), curl.output());
            assertTrue(curl.output().contains("Re-using existing connection"), curl.output());
            assertTrue(curl.output().contains("< content-type: text/plain; version=0.0.4; charset=utf-8"), curl.output());
            assertTrue(curl.output().contains("ok\n"), curl.output());
            assertTrue(curl.output().contains("push_relay_downstream_connections_open{listener=\"pre\"} 1.0"), curl.output());

            ExternalProcess.Result status = ExternalProcess.run(TIMEOUT, Map.of(),
                    List.of("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", base + "/readyz"));
            assertEquals("503", status.output().strip());
            ExternalProcess.Result head = ExternalProcess.run(TIMEOUT, Map.of(),
                    List.of("curl", "-sS", "-I", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", base + "/metrics"));
            assertEquals("405", head.output().strip());
        }
    }

    @Test
    void ipv6LoopbackShouldWork() {
        try (AdminServer server = new AdminServer()) {
            InetSocketAddress bound = server.start(new InetSocketAddress("::1", 0), metrics, readiness::get);
            ExternalProcess.Result curl = ExternalProcess.run(TIMEOUT, Map.of(),
                    List.of("curl", "-sS", "-g", "--max-time", "5", "http://[::1]:" + bound.getPort() + "/healthz"));
            assertEquals(0, curl.exitCode(), curl.output());
            assertEquals("ok\n", curl.output());
        }
    }

    @Test
    void nonLoopbackAddressShouldBindWithAWarning() throws Exception {
        ListAppender<ILoggingEvent> log = capture(AdminServer.class);
        try (AdminServer server = new AdminServer()) {
            int port = server.start(new InetSocketAddress("0.0.0.0", 0), metrics, readiness::get).getPort();
            assertEquals("ok\n", rawGet(new InetSocketAddress("127.0.0.1", port), "/healthz"));
            assertTrue(log.list.stream().anyMatch(e -> e.getLevel() == Level.WARN
                    && e.getFormattedMessage().contains("0.0.0.0:" + port + ", not loopback")), log.list.toString());
        } finally {
            release(AdminServer.class, log);
        }
        ListAppender<ILoggingEvent> quiet = capture(AdminServer.class);
        try (AdminServer server = new AdminServer()) {
            server.start(new InetSocketAddress("127.0.0.1", 0), metrics, readiness::get);
            assertTrue(quiet.list.stream().noneMatch(e -> e.getLevel() == Level.WARN), quiet.list.toString());
        } finally {
            release(AdminServer.class, quiet);
        }
    }

    @Test
    void busyPortShouldFailNamingTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
             AdminServer server = new AdminServer()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> server.start(new InetSocketAddress("127.0.0.1", taken.getLocalPort()), metrics, readiness::get));
            assertTrue(e.getMessage().startsWith("admin: bind 127.0.0.1:" + taken.getLocalPort() + ": "), e.getMessage());
        }
    }

    @Test
    void startTwiceOrAfterCloseShouldFail() {
        AdminServer server = new AdminServer();
        try {
            server.start(new InetSocketAddress("127.0.0.1", 0), metrics, readiness::get);
            assertThrows(IllegalStateException.class,
                    () -> server.start(new InetSocketAddress("127.0.0.1", 0), metrics, readiness::get));
        } finally {
            server.close();
        }
        server.close();
        assertThrows(IllegalStateException.class,
                () -> server.start(new InetSocketAddress("127.0.0.1", 0), metrics, readiness::get));
    }

    @Test
    void connectionsPastTheLimitShouldBeClosed() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try (AdminServer server = new AdminServer(null, Duration.ofSeconds(30), 2)) {
            InetSocketAddress bound = server.start(new InetSocketAddress("127.0.0.1", 0), metrics, readiness::get);
            for (int i = 0; i < 2; i++) {
                Socket s = new Socket(bound.getAddress(), bound.getPort());
                sockets.add(s);
                s.setSoTimeout(5000);
            }
            awaitOpen(server, 2);
            try (Socket third = new Socket(bound.getAddress(), bound.getPort())) {
                third.setSoTimeout(5000);
                assertEquals(-1, third.getInputStream().read(), "the third connection is closed at once");
            }
            assertEquals(2, server.openConnections());
            sockets.remove(0).close();
            awaitOpen(server, 1);
            assertEquals("ok\n", rawGet(bound, "/healthz"));
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    @Test
    void closeShouldEndOpenConnectionsAndFreeThePort() throws Exception {
        AdminServer server = new AdminServer();
        InetSocketAddress bound;
        try {
            bound = server.start(new InetSocketAddress("127.0.0.1", 0), metrics, readiness::get);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        try (Socket open = new Socket(bound.getAddress(), bound.getPort())) {
            open.setSoTimeout(5000);
            awaitOpen(server, 1);
            server.close();
            assertEquals(-1, open.getInputStream().read());
        }
        try (ServerSocket again = new ServerSocket()) {
            again.setReuseAddress(true);
            again.bind(bound);
            assertEquals(bound.getPort(), again.getLocalPort());
        }
    }

    @Test
    void givenGroupShouldBeUsedAndLeftRunning() throws Exception {
        EventLoopGroup group = Transports.newGroup("admin-test", 1);
        try {
            try (AdminServer server = new AdminServer(group)) {
                InetSocketAddress bound = server.start(new InetSocketAddress("127.0.0.1", 0), metrics, readiness::get);
                assertEquals("ok\n", rawGet(bound, "/healthz"));
            }
            assertFalse(group.isShuttingDown());
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static HttpResponse<String> send(HttpClient http, HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** One HTTP/1.0 GET on a fresh socket; returns the body. */
    private static String rawGet(InetSocketAddress address, String path) throws Exception {
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return all.substring(all.indexOf("\r\n\r\n") + 4);
        }
    }

    private static void awaitOpen(AdminServer server, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (server.openConnections() != expected && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(expected, server.openConnections());
    }

    private static ListAppender<ILoggingEvent> capture(Class<?> type) {
        Logger logger = (Logger) LoggerFactory.getLogger(type);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        return appender;
    }

    private static void release(Class<?> type, ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger(type)).detachAppender(appender);
        appender.stop();
    }
}
