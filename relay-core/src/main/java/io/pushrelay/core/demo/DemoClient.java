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
 * the push host's {@code /etc/hosts} would make it. Prints one result line:
 * {@code RESULT sent=N answered=N ok=N errors=N p50_ms=X p99_ms=Y statuses=200:N,...}.
 *
 * <p>Usage: {@code DemoClient URL_BASE CA_PEM COUNT IN_FLIGHT [TOPIC]}.
 */
public final class DemoClient {
    private DemoClient() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: DemoClient URL_BASE CA_PEM COUNT IN_FLIGHT [TOPIC]");
            System.exit(2);
        }
        String base = args[0];
        Path ca = Path.of(args[1]);
        int count = Integer.parseInt(args[2]);
        int inFlight = Integer.parseInt(args[3]);
        String topic = args.length > 4 ? args[4] : "com.example.demo";
        HttpClient client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_2)
                .sslContext(trusting(ca))
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        Semaphore window = new Semaphore(inFlight);
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>(count));
        ConcurrentHashMap<String, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        List<CompletableFuture<?>> all = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            window.acquire();
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
            all.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).handle((response, failure) -> {
                window.release();
                if (failure != null) {
                    errors.incrementAndGet();
                    statuses.computeIfAbsent("error:" + failure.getClass().getSimpleName(), k -> new AtomicInteger())
                            .incrementAndGet();
                } else {
                    answered.incrementAndGet();
                    latencies.add(System.nanoTime() - start);
                    statuses.computeIfAbsent(String.valueOf(response.statusCode()), k -> new AtomicInteger())
                            .incrementAndGet();
                    if (response.statusCode() != 200) {
                        errors.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        StringBuilder byStatus = new StringBuilder();
        statuses.entrySet().stream().sorted(java.util.Map.Entry.comparingByKey()).forEach(e -> {
            if (byStatus.length() > 0) {
                byStatus.append(',');
            }
            byStatus.append(e.getKey()).append(':').append(e.getValue().get());
        });
        int ok = statuses.getOrDefault("200", new AtomicInteger()).get();
        System.out.printf(Locale.ROOT, "RESULT sent=%d answered=%d ok=%d errors=%d p50_ms=%.2f p99_ms=%.2f statuses=%s%n",
                count, answered.get(), ok, errors.get(), percentile(sorted, 50), percentile(sorted, 99), byStatus);
        System.exit(0);
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
