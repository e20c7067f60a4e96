package io.pushrelay.core.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.eatthepath.pushy.apns.ApnsClient;
import com.eatthepath.pushy.apns.ApnsClientBuilder;
import com.eatthepath.pushy.apns.PushNotificationResponse;
import com.eatthepath.pushy.apns.auth.ApnsSigningKey;
import com.eatthepath.pushy.apns.util.SimpleApnsPushNotification;
import com.eatthepath.pushy.apns.util.concurrent.PushNotificationFuture;
import io.pushrelay.core.inbound.ExchangeSink;
import io.pushrelay.core.observe.AccessLog;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.LogCapture;
import io.pushrelay.core.testing.Requests;
import io.pushrelay.core.testing.TestTls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The listener in front of an in-process APNS-like upstream, driven by real clients nobody here wrote. */
class RelayListenerPeersTest {
    static final String TOKEN = Requests.TOKEN;
    static final String PAYLOAD = "{\"aps\":{\"alert\":\"hello\"}}";

    static ApnsClient pushy(RelayFixture relay, boolean alpn) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        ApnsSigningKey key = new ApnsSigningKey("KEYID12345", "TEAMID1234",
                (ECPrivateKey) generator.generateKeyPair().getPrivate());
        return new ApnsClientBuilder()
                .setApnsServer("127.0.0.1", relay.port())
                .setTrustedServerCertificateChain(relay.caPem().toFile())
                .setSigningKey(key)
                .setUseAlpn(alpn)
                .build();
    }

    static HttpClient jdkClient(RelayFixture relay) {
        return HttpClient.newBuilder().sslContext(TestTls.trusting(relay.caPem())).version(HttpClient.Version.HTTP_2)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    static HttpRequest jdkPost(RelayFixture relay, String body) {
        return HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + relay.port() + "/3/device/" + TOKEN))
                .header("apns-topic", "com.example").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    static ExternalProcess.Result curl(RelayFixture relay, String version, String body, String... extra)
            throws Exception {
        Path bodyFile = Files.createTempFile(relay.dir, "body", ".json");
        Files.writeString(bodyFile, body);
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--noproxy", "*", version,
                "--cacert", relay.caPem().toString(),
                "--resolve", "api.push.apple.com:" + relay.port() + ":127.0.0.1",
                "-H", "apns-topic: com.example", "--data-binary", "@" + bodyFile,
                "-w", "\n%{http_code} %{http_version}\n"));
        command.addAll(List.of(extra));
        command.add("https://api.push.apple.com:" + relay.port() + "/3/device/" + TOKEN);
        return ExternalProcess.run(Duration.ofSeconds(20), Map.of(), command);
    }

    @Test
    void pushyWithoutAlpnShouldBeServedAsH2ByItsPreface(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            ApnsClient client = pushy(relay, false);
            try {
                PushNotificationResponse<SimpleApnsPushNotification> response = client.sendNotification(
                        new SimpleApnsPushNotification(TOKEN, "com.example", PAYLOAD)).get(10, TimeUnit.SECONDS);
                assertTrue(response.isAccepted(), response.toString());
                assertEquals(200, response.getStatusCode());
            } finally {
                client.close().get(10, TimeUnit.SECONDS);
            }
            assertEquals(1, relay.listener.counters().h2PriorKnowledge());
            assertEquals(0, relay.listener.counters().h2Alpn());
            RelayFixtureAsserts.seenOnce(relay, "POST", "127.0.0.1", "/3/device/" + TOKEN, PAYLOAD);
            assertTrue(relay.upstream.seen().get(0).headers().get("authorization").startsWith("bearer "));
        }
    }

    @Test
    void pushyWithAlpnShouldNegotiateH2AndSeeTheUpstreamsRejection(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            relay.upstream.unregister(TOKEN);
            ApnsClient client = pushy(relay, true);
            try {
                PushNotificationResponse<SimpleApnsPushNotification> response = client.sendNotification(
                        new SimpleApnsPushNotification(TOKEN, "com.example", PAYLOAD)).get(10, TimeUnit.SECONDS);
                assertFalse(response.isAccepted());
                assertEquals(410, response.getStatusCode());
                assertEquals("Unregistered", response.getRejectionReason().orElse(""));
            } finally {
                client.close().get(10, TimeUnit.SECONDS);
            }
            assertEquals(1, relay.listener.counters().h2Alpn());
            assertEquals(0, relay.listener.counters().h2PriorKnowledge());
        }
    }

    @Test
    void pushyShouldGetThousandsAnsweredExactlyOnceWithHundredsOfStreamsInFlight(@TempDir Path dir) throws Exception {
        // Paranoid leak detection (every test JVM) makes every buffer access slow: a few thousand is enough.
        int count = 1500;
        try (RelayFixture relay = RelayFixture.tls(dir);
             LogCapture access = LogCapture.of(AccessLog.LOGGER_NAME)) {
            relay.upstream.delay(Duration.ofMillis(300)).recordBodies(false);
            long duplicatesBefore = ExchangeSink.duplicateAnswers();
            ApnsClient client = pushy(relay, false);
            long start = System.nanoTime();
            try {
                List<PushNotificationFuture<SimpleApnsPushNotification,
                        PushNotificationResponse<SimpleApnsPushNotification>>> futures = new ArrayList<>();
                Set<UUID> sent = new HashSet<>();
                for (int i = 0; i < count; i++) {
                    UUID id = UUID.randomUUID();
                    sent.add(id);
                    futures.add(client.sendNotification(new SimpleApnsPushNotification(TOKEN, "com.example", PAYLOAD,
                            null, null, (String) null, id)));
                }
                Set<UUID> answered = new HashSet<>();
                for (var future : futures) {
                    PushNotificationResponse<SimpleApnsPushNotification> response = future.get(30, TimeUnit.SECONDS);
                    assertTrue(response.isAccepted(), response.toString());
                    assertTrue(answered.add(response.getApnsId()), "each apns-id answered once");
                }
                assertEquals(sent, answered);
            } finally {
                client.close().get(10, TimeUnit.SECONDS);
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.out.printf("pushy: %d notifications in %d ms, at most %d in flight upstream%n", count, millis,
                    relay.upstream.maxInFlight());
            assertEquals(count, relay.upstream.calls());
            assertTrue(relay.upstream.maxInFlight() >= 100, "in flight at once: " + relay.upstream.maxInFlight());
            assertEquals(count, access.messages().size(), "one access-log line per request");
            assertEquals(duplicatesBefore, ExchangeSink.duplicateAnswers());
        }
    }

    @Test
    void jdkHttpClientShouldNegotiateH2ByAlpn(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            HttpClient http = jdkClient(relay);
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> response = http.send(jdkPost(relay, PAYLOAD), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, response.statusCode());
                assertEquals(HttpClient.Version.HTTP_2, response.version());
                assertTrue(response.headers().firstValue("apns-id").isPresent());
            }
            assertEquals(1, relay.listener.counters().h2Alpn(), "one connection for the three requests");
            assertEquals(3, relay.upstream.calls());
        }
    }

    @Test
    void curlOverH2ShouldBeRelayed(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            ExternalProcess.Result result = curl(relay, "--http2", PAYLOAD);
            assertEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().trim().endsWith("200 2"), result.output());
            RelayFixtureAsserts.seenOnce(relay, "POST", "api.push.apple.com:" + relay.port(), "/3/device/" + TOKEN,
                    PAYLOAD);
        }
    }

    @Test
    void curlOverHttp11ShouldBeRelayed(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            ExternalProcess.Result result = curl(relay, "--http1.1", PAYLOAD);
            assertEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().trim().endsWith("200 1.1"), result.output());
            assertEquals(1, relay.listener.counters().h1Alpn());
            RelayFixtureAsserts.seenOnce(relay, "POST", "api.push.apple.com:" + relay.port(), "/3/device/" + TOKEN,
                    PAYLOAD);
        }
    }

    @Test
    void unknownAuthorityShouldAnswer421OverH2AndHttp11(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            for (String version : List.of("--http2", "--http1.1")) {
                ExternalProcess.Result result = curl(relay, version, PAYLOAD, "-H", "Host: evil.example.com");
                assertEquals(0, result.exitCode(), result.output());
                assertTrue(result.output().contains("{\"reason\":\"RelayMisdirectedRequest\"}"), result.output());
                assertTrue(result.output().trim().endsWith(version.equals("--http2") ? "421 2" : "421 1.1"),
                        result.output());
            }
            assertEquals(0, relay.upstream.calls());
        }
    }

    @Test
    void bodyOverTheLimitShouldAnswer413WithoutTouchingTheUpstream(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            String big = "{\"aps\":{\"alert\":\"" + "x".repeat(6000) + "\"}}";
            for (String version : List.of("--http2", "--http1.1")) {
                ExternalProcess.Result result = curl(relay, version, big);
                assertEquals(0, result.exitCode(), result.output());
                assertTrue(result.output().contains("{\"reason\":\"PayloadTooLarge\"}"), result.output());
                assertTrue(result.output().trim().matches("(?s).*\\n413 (2|1\\.1)$"), result.output());
            }
            HttpResponse<String> response = jdkClient(relay).send(jdkPost(relay, big), HttpResponse.BodyHandlers.ofString());
            assertEquals(413, response.statusCode());
            assertEquals(0, relay.upstream.calls());
            assertEquals(3, relay.listener.counters().inbound().bodiesTooLarge());
        }
    }

    @Test
    void goStandardLibraryClientShouldSpeakH2ThroughTheRelay(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            Path source = dir.resolve("goclient");
            Files.createDirectories(source);
            Files.writeString(source.resolve("main.go"), GO_CLIENT);
            Map<String, String> env = Map.of("GO111MODULE", "off", "GOCACHE", dir.resolve("gocache").toString(),
                    "HOME", dir.toString(), "GOPATH", dir.resolve("gopath").toString(), "GOFLAGS", "");
            ExternalProcess.Result build = ExternalProcess.run(Duration.ofSeconds(90), env,
                    List.of("go", "build", "-o", source.resolve("client").toString(), source.resolve("main.go").toString()));
            assertEquals(0, build.exitCode(), build.output());
            Map<String, String> runEnv = new java.util.HashMap<>(env);
            runEnv.put("SSL_CERT_FILE", relay.caPem().toString());
            ExternalProcess.Result run = ExternalProcess.run(Duration.ofSeconds(30), runEnv, List.of(
                    source.resolve("client").toString(), "https://api.push.apple.com:" + relay.port() + "/3/device/" + TOKEN,
                    "127.0.0.1:" + relay.port(), "20"));
            assertEquals(0, run.exitCode(), run.output());
            List<String> lines = run.output().lines().filter(l -> !l.isBlank()).toList();
            assertEquals(20, lines.size(), run.output());
            for (String line : lines) {
                assertTrue(line.startsWith("200 HTTP/2.0 "), line);
            }
            assertEquals(20, relay.upstream.calls());
            // Go dials once per request until its first connection is up (and drops the spares, maybe
            // mid-handshake): whatever got as far as a protocol was h2 by ALPN.
            assertTrue(relay.listener.counters().h2Alpn() >= 1);
            assertEquals(0, relay.listener.counters().h1Alpn() + relay.listener.counters().h1WithoutAlpn()
                    + relay.listener.counters().h2PriorKnowledge());
        }
    }

    @Test
    void answerLargerThanTheDownstreamWindowShouldArriveWhole(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir)) {
            int size = 200_000;
            relay.upstream.okBodyBytes(size);
            Path body = dir.resolve("body.json");
            Files.writeString(body, PAYLOAD);
            ExternalProcess.Result result = ExternalProcess.run(Duration.ofSeconds(20), Map.of(), List.of("nghttp", "-y",
                    "-w", "12", "-W", "14", "-d", body.toString(), "-H", "apns-topic: com.example",
                    "https://127.0.0.1:" + relay.port() + "/3/device/" + TOKEN));
            assertEquals(0, result.exitCode(), result.output().substring(0, Math.min(2000, result.output().length())));
            String out = result.output().trim();
            assertEquals(size, out.length());
            assertTrue(out.startsWith("abcdefghijklmnopqrstuvwxyzabc"), out.substring(0, 40));
        }
    }

    static final String GO_CLIENT = """
            package main

            import (
            	"context"
            	"fmt"
            	"io"
            	"net"
            	"net/http"
            	"os"
            	"strconv"
            	"strings"
            	"sync"
            )

            func main() {
            	url, addr := os.Args[1], os.Args[2]
            	n, _ := strconv.Atoi(os.Args[3])
            	tr := &http.Transport{ForceAttemptHTTP2: true,
            		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
            			var d net.Dialer
            			return d.DialContext(ctx, network, addr)
            		}}
            	client := &http.Client{Transport: tr}
            	var wg sync.WaitGroup
            	var mu sync.Mutex
            	failed := false
            	for i := 0; i < n; i++ {
            		wg.Add(1)
            		go func() {
            			defer wg.Done()
            			req, _ := http.NewRequest("POST", url, strings.NewReader(`{"aps":{"alert":"go"}}`))
            			req.Header.Set("apns-topic", "com.example")
            			resp, err := client.Do(req)
            			mu.Lock()
            			defer mu.Unlock()
            			if err != nil {
            				fmt.Println("ERR", err)
            				failed = true
            				return
            			}
            			body, _ := io.ReadAll(resp.Body)
            			resp.Body.Close()
            			fmt.Println(resp.StatusCode, resp.Proto, resp.Header.Get("apns-id"), len(body))
            		}()
            	}
            	wg.Wait()
            	if failed {
            		os.Exit(1)
            	}
            }
            """;
}
