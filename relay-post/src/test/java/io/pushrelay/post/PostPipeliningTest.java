package io.pushrelay.post;

import static io.pushrelay.post.PostTestbed.APNS;
import static io.pushrelay.post.PostTestbed.TOKEN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.config.ConfigOverrides;
import io.pushrelay.core.sim.ApnsSimConfig;
import io.pushrelay.core.sim.ApnsSimulator;
import io.pushrelay.core.sim.ServerIdentity;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pipelining and keep-alive at volume through a real relay-post to our APNS simulator over the
 * real pool: 4 TLS connections each write 256 requests back to back (a writer thread per
 * connection, so that TCP back-pressure cannot deadlock the test), and each answer must come
 * back in request order, matched by its {@code apns-id}. Prints what it measured.
 */
class PostPipeliningTest {
    private static final int CONNECTIONS = 4;
    private static final int PER_CONNECTION = 256;

    @TempDir
    Path dir;

    private static String apnsId(int connection, int i) {
        return String.format("%08x-0000-4000-8000-%012x", connection, i);
    }

    @Test
    void overAThousandPipelinedRequestsShouldBeAnsweredInOrder() throws Exception {
        try (PostTestbed bed = new PostTestbed(dir);
             ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress simAddress = sim.start(ApnsSimConfig.builder(
                    ServerIdentity.fromPem(bed.upstreamCert.chain(), bed.upstreamCert.key())).build());
            try (PostRelay relay = PostRelay.start(bed.config(ConfigOverrides.none()
                    .set("test", "routes", Map.of(APNS, "127.0.0.1:" + simAddress.getPort()))))) {
                ExecutorService writers = Executors.newFixedThreadPool(CONNECTIONS);
                List<RawHttp.Conn> conns = new ArrayList<>();
                try {
                    for (int c = 0; c < CONNECTIONS; c++) {
                        conns.add(RawHttp.tls(relay.address().getPort(), bed.pki.caPem(), null, APNS, "http/1.1"));
                    }
                    long start = System.nanoTime();
                    List<Future<?>> written = new ArrayList<>();
                    for (int c = 0; c < CONNECTIONS; c++) {
                        RawHttp.Conn conn = conns.get(c);
                        int connection = c;
                        written.add(writers.submit(() -> {
                            StringBuilder all = new StringBuilder();
                            for (int i = 0; i < PER_CONNECTION; i++) {
                                all.append(RawHttp.post(APNS, TOKEN, apnsId(connection, i), "", ""));
                            }
                            conn.send(all.toString().getBytes(StandardCharsets.ISO_8859_1));
                            return null;
                        }));
                    }
                    for (int i = 0; i < PER_CONNECTION; i++) {
                        for (int c = 0; c < CONNECTIONS; c++) {
                            String response = conns.get(c).readResponse();
                            assertTrue(response.startsWith("HTTP/1.1 200 OK\r\n"), c + "/" + i + ": " + response);
                            assertTrue(response.contains("apns-id: " + apnsId(c, i) + "\r\n"),
                                    "answer " + i + " of connection " + c + " out of order: " + response);
                        }
                    }
                    long tookNanos = System.nanoTime() - start;
                    for (Future<?> w : written) {
                        w.get(10, TimeUnit.SECONDS);
                    }
                    int total = CONNECTIONS * PER_CONNECTION;
                    assertEquals(total, sim.acceptedCount());
                    assertEquals(total, relay.pools().get(0).stats().responses());
                    assertEquals(CONNECTIONS, relay.listener().counters().accepted());
                    System.out.printf("pipelining: %d requests on %d connections in %d ms (%.0f req/s)%n", total,
                            CONNECTIONS, TimeUnit.NANOSECONDS.toMillis(tookNanos), total / (tookNanos / 1e9));
                } finally {
                    for (RawHttp.Conn conn : conns) {
                        conn.close();
                    }
                    writers.shutdownNow();
                }
            }
        }
    }
}
