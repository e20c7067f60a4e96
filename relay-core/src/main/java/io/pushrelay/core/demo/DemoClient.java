package io.pushrelay.core.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The demo's sender: the JDK's own {@link HttpClient} (HTTP/2 over TLS, ALPN), posting
 * APNS-shaped notifications to {@code https://api.push.apple.com:PORT/3/device/<token>} with a
 * bounded number in flight, trusting only the given CA. Run in its own JVM with
 * {@code -Djdk.net.hosts.file=F}, so that {@code api.push.apple.com} resolves to the relay as
 * the push host's {@code /etc/hosts} would make it.
 *
 * <p>It first sends one notification alone (so that the client opens its one HTTP/2 connection
 * before a burst: the JDK client opens one per request while none is up yet), then {@code WARM_UP}
 * notifications that are checked like the rest but left out of the latencies (both JVMs compile
 * their hot paths then: a cold JVM's first second is not what a relay that runs for weeks gives),
 * then the {@code COUNT} measured ones. Prints one result line:
 * {@code RESULT sent=N answered=N ok=N errors=N p50_ms=X p99_ms=Y statuses=200:N,... warm_up=W warm_up_ok=K}.
 *
 * <p>Usage: {@code DemoClient URL_BASE CA_PEM COUNT IN_FLIGHT [WARM_UP [TOPIC]]}.
 */
public final class DemoClient {
    private DemoClient() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: DemoClient URL_BASE CA_PEM COUNT IN_FLIGHT [WARM_UP [TOPIC]]");
            System.exit(2);
        }
        String base = args[0];
        Path ca = Path.of(args[1]);
        int count = Integer.parseInt(args[2]);
        int inFlight = Integer.parseInt(args[3]);
        int warmUp = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        String topic = args.length > 5 ? args[5] : "com.example.demo";
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_2)
                .sslContext(trusting(ca))
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        Sender sender = new Sender(client, base, topic);
        Batch warm = sender.send(0, warmUp, inFlight);
        Batch measured = sender.send(warmUp, count, inFlight);
        System.out.printf(Locale.ROOT,
                "RESULT sent=%d answered=%d ok=%d errors=%d p50_ms=%.2f p99_ms=%.2f statuses=%s warm_up=%d warm_up_ok=%d%n",
                count, measured.answered.get(), measured.ok(), measured.errors.get(), measured.percentile(50),
                measured.percentile(99), measured.statuses(), warmUp, warm.ok());
        System.exit(0);
    }

    /** Posts notifications numbered from a given index; the first of all goes alone. */
    private static final class Sender {
        private final HttpClient client;
        private final String base;
        private final String topic;

        Sender(HttpClient client, String base, String topic) {
            this.client = client;
            this.base = base;
            this.topic = topic;
        }

        Batch send(int first, int n, int inFlight) throws InterruptedException {
            Batch batch = new Batch(n);
            Semaphore window = new Semaphore(inFlight);
            List<CompletableFuture<?>> all = new ArrayList<>(n);
            for (int i = first; i < first + n; i++) {
                window.acquire();
                CompletableFuture<?> answered = post(i, batch, window);
                all.add(answered);
                if (i == 0) {
                    answered.join();
                }
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
            return batch;
        }

        private CompletableFuture<?> post(int i, Batch batch, Semaphore window) {
            String token = String.format(Locale.ROOT, "%064x", i + 1L);
            String body = "{\"aps\":{\"alert\":\"demo notification " + i + "\"}}";
            HttpRequest request = HttpRequest.newBuilder(URI.create(base + "/3/device/" + token))
                    .timeout(Duration.ofSeconds(30))
                    .header("apns-topic", topic)
                    .header("apns-push-type", "alert")
                    .header("apns-id", UUID.randomUUID().toString())
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build();
            long start = System.nanoTime();
            return client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((response, failure) -> {
                window.release();
                if (failure != null) {
                    batch.errors.incrementAndGet();
                    batch.count("error:" + failure.getClass().getSimpleName());
                } else {
                    batch.answered.incrementAndGet();
                    batch.latencies.add(System.nanoTime() - start);
                    batch.count(String.valueOf(response.statusCode()));
                    if (response.statusCode() != 200) {
                        batch.errors.incrementAndGet();
                    }
                }
                return null;
            });
        }
    }

    /** What one run of notifications got back. */
    private static final class Batch {
        final List<Long> latencies;
        final ConcurrentHashMap<String, AtomicInteger> byStatus = new ConcurrentHashMap<>();
        final AtomicInteger answered = new AtomicInteger();
        final AtomicInteger errors = new AtomicInteger();

        Batch(int n) {
            latencies = Collections.synchronizedList(new ArrayList<>(n));
        }

        void count(String status) {
            byStatus.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
        }

        int ok() {
            return byStatus.getOrDefault("200", new AtomicInteger()).get();
        }

        String statuses() {
            StringBuilder out = new StringBuilder();
            byStatus.entrySet().stream().sorted(java.util.Map.Entry.comparingByKey()).forEach(e -> {
                if (out.length() > 0) {
                    out.append(',');
                }
                out.append(e.getKey()).append(':').append(e.getValue().get());
            });
            return out.toString();
        }

        double percentile(int p) {
            List<Long> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            return DemoClient.percentile(sorted, p);
        }
    }

    static double percentile(List<Long> sortedNanos, int p) {
        if (sortedNanos.isEmpty()) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sortedNanos.size());
        return sortedNanos.get(Math.max(0, rank - 1)) / 1_000_000.0;
    }

    private static SSLContext trusting(Path caPem) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        int n = 0;
        try (var in = Files.newInputStream(caPem)) {
            for (var cert : factory.generateCertificates(in)) {
                store.setCertificateEntry("ca" + n++, (X509Certificate) cert);
            }
        } catch (IOException e) {
            throw new IOException("read " + caPem + ": " + e.getMessage(), e);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
