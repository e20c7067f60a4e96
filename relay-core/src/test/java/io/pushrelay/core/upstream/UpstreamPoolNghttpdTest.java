package io.pushrelay.core.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.connect.ConnectorConfig;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import io.pushrelay.core.testing.Nghttpd;
import io.pushrelay.core.testing.TestPki;
import io.pushrelay.core.transport.Transports;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pool against nghttpd: request bodies larger than the upstream's flow-control window,
 * response bodies in many DATA frames, trailers, and a response over the size limit.
 */
class UpstreamPoolNghttpdTest {
    private static final String APNS = "api.push.apple.com";

    @TempDir
    static Path dir;
    static EventLoopGroup group;
    static TestPki pki;
    static TestPki.LeafFiles cert;

    @BeforeAll
    static void setUp() {
        group = Transports.newGroup("pool-nghttpd-test", 1);
        pki = TestPki.create(dir.resolve("pki"), "nghttpd test CA");
        cert = pki.server("apns", APNS);
    }

    @AfterAll
    static void tearDown() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static RelayRequest request(String method, String path, byte[] body) {
        return new RelayRequest(method, "https", APNS, path, new DefaultHttp2Headers(),
                ByteBufAllocator.DEFAULT.buffer(body.length).writeBytes(body), new InetSocketAddress("127.0.0.1", 1),
                "d", System.nanoTime());
    }

    /** A body of {@code size} bytes that names its request, so that a mix-up shows. */
    private static byte[] body(int i, int size) {
        StringBuilder b = new StringBuilder(size);
        while (b.length() < size) {
            b.append("request-").append(i).append(';');
        }
        return b.substring(0, size).getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void bodiesLargerThanTheUpstreamWindowFlowAndComeBackWhole() throws Exception {
        Files.createDirectories(dir.resolve("www"));
        // 4 KiB stream windows, 16 KiB connection window, 8 streams at once; 20 KiB bodies.
        try (Nghttpd nghttpd = Nghttpd.builder(cert.chain(), cert.key(), dir.resolve("www")).echoUpload()
                .windowBits(12).connectionWindowBits(14).maxConcurrentStreams(8).trailer("x-checked: yes").start();
             Connector connector = new Connector(ConnectorConfig.direct().withUpstreamCa(pki.caPem()));
             UpstreamPool pool = new UpstreamPool(connector, UpstreamConfig.defaults(), group)) {
            Route route = Route.of(RouteKind.APNS, APNS, "127.0.0.1", nghttpd.port());
            int n = 200;
            ResponseLog log = new ResponseLog(40);
            for (int i = 0; i < n; i++) {
                log.acquire();
                pool.send(route, request("POST", "/echo", body(i, 20_000)), log.sink("e" + i));
            }
            log.awaitAnswers(n, Duration.ofSeconds(30));
            assertEquals(0, log.duplicates());
            for (int i = 0; i < n; i++) {
                ResponseLog.Answer a = log.answers.get("e" + i);
                assertEquals(200, a.status(), a.toString());
                assertNull(a.error());
                assertEquals(new String(body(i, 20_000), StandardCharsets.US_ASCII), a.body(), "e" + i);
            }
        }
    }

    @Test
    void responseBodiesAreAggregatedUpToTheLimit() throws Exception {
        Path www = Files.createDirectories(dir.resolve("files"));
        byte[] big = body(7, 300_000);
        Files.write(www.resolve("big"), big);
        Files.write(www.resolve("huge"), body(8, 1_500_000));
        try (Nghttpd nghttpd = Nghttpd.builder(cert.chain(), cert.key(), www).start();
             Connector connector = new Connector(ConnectorConfig.direct().withUpstreamCa(pki.caPem()));
             UpstreamPool pool = new UpstreamPool(connector, UpstreamConfig.defaults().withMaxResponseBytes(1 << 20),
                     group)) {
            Route route = Route.of(RouteKind.APNS, APNS, "127.0.0.1", nghttpd.port());
            ResponseLog log = new ResponseLog(3);
            log.acquire();
            pool.send(route, request("GET", "/big", new byte[0]), log.sink("big"));
            log.acquire();
            pool.send(route, request("GET", "/huge", new byte[0]), log.sink("huge"));
            log.acquire();
            pool.send(route, request("GET", "/missing", new byte[0]), log.sink("missing"));
            log.awaitAnswers(3, Duration.ofSeconds(10));
            ResponseLog.Answer ok = log.answers.get("big");
            assertEquals(200, ok.status());
            assertEquals(new String(big, StandardCharsets.US_ASCII), ok.body());
            assertEquals(RelayError.UPSTREAM_RESET, log.answers.get("huge").error());
            assertEquals(404, log.answers.get("missing").status());
            // The reset stream did not cost the connection.
            ResponseLog again = new ResponseLog(1);
            again.acquire();
            pool.send(route, request("GET", "/big", new byte[0]), again.sink("again"));
            again.awaitAnswers(1, Duration.ofSeconds(10));
            assertEquals(ok.connection(), again.answers.get("again").connection());
        }
    }
}
