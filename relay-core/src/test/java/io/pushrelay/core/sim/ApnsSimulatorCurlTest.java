package io.pushrelay.core.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.eatthepath.pushy.apns.auth.ApnsSigningKey;
import com.eatthepath.pushy.apns.auth.AuthenticationToken;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.TestPki;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The APNS simulator against curl, the JDK HTTP client and h2load. */
class ApnsSimulatorCurlTest {
    private static final String TOPIC = "com.example.app";
    private static final String HOST = "api.push.apple.com";

    @TempDir
    static Path dir;
    static SimFixtures.Pki pki;
    static String bearerTeamA;
    static String bearerTeamB;

    @BeforeAll
    static void setUp() throws Exception {
        pki = SimFixtures.pki(dir.resolve("pki"));
        bearerTeamA = new AuthenticationToken(new ApnsSigningKey("KEYA000001", "TEAMAAAAAA",
                (ECPrivateKey) SimFixtures.p256().getPrivate()), Instant.now()).getAuthorizationHeader().toString();
        bearerTeamB = new AuthenticationToken(new ApnsSigningKey("KEYB000001", "TEAMBBBBBB",
                (ECPrivateKey) SimFixtures.p256().getPrivate()), Instant.now()).getAuthorizationHeader().toString();
    }

    /** curl's answer: status, headers (lower-case names) and body. */
    record Answer(int status, Map<String, String> headers, String body, String raw) {
    }

    /** One POST (unless {@code extra} says otherwise) with --http2 to the simulator, through --resolve. */
    private static Answer curl(InetSocketAddress sim, String path, List<String> extra) {
        List<String> args = new ArrayList<>(List.of("--http2", "--cacert", pki.caPem().toString(),
                "--resolve", HOST + ":" + sim.getPort() + ":127.0.0.1", "-D", "-"));
        args.addAll(extra);
        args.add("https://" + HOST + ":" + sim.getPort() + path);
        ExternalProcess.Result result = SimFixtures.curl(args.toArray(String[]::new));
        assertEquals(0, result.exitCode(), result.output());
        return parse(result.output());
    }

    static Answer parse(String raw) {
        String[] parts = raw.split("\r\n\r\n", 2);
        String[] lines = parts[0].split("\r\n");
        Matcher status = Pattern.compile("HTTP/\\S+ (\\d{3})").matcher(lines[0]);
        assertTrue(status.find(), raw);
        Map<String, String> headers = new java.util.HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(), lines[i].substring(colon + 1).trim());
            }
        }
        return new Answer(Integer.parseInt(status.group(1)), headers, parts.length > 1 ? parts[1] : "", raw);
    }

    private static List<String> post(String body, String... headers) {
        List<String> args = new ArrayList<>();
        for (String header : headers) {
            args.add("-H");
            args.add(header);
        }
        args.add("--data-binary");
        args.add(body);
        return args;
    }

    @Test
    void curlShouldGet200WithEchoedApnsIdAndAUniqueId() {
        try (ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress address = sim.start(ApnsSimConfig.builder(pki.identity()).tokenAuth(true).build());
            String apnsId = "123e4567-e89b-12d3-a456-426614174000";
            Answer answer = curl(address, "/3/device/" + SimFixtures.token(1), post("{\"aps\":{\"alert\":\"hi\"}}",
                    "authorization: " + bearerTeamA, "apns-topic: " + TOPIC, "apns-id: " + apnsId,
                    "apns-push-type: alert", "apns-priority: 10", "apns-expiration: 0"));
            assertEquals(200, answer.status(), answer.raw());
            assertEquals(apnsId, answer.headers().get("apns-id"));
            assertTrue(answer.headers().get("apns-unique-id").matches("[0-9a-f-]{36}"), answer.raw());
            assertTrue(answer.raw().startsWith("HTTP/2 200"), answer.raw());

            Answer fresh = curl(address, "/3/device/" + SimFixtures.token(2), post("{}",
                    "authorization: " + bearerTeamA, "apns-topic: " + TOPIC));
            assertEquals(200, fresh.status());
            String uuid4 = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
            assertTrue(fresh.headers().get("apns-id").matches(uuid4), fresh.raw());
            assertEquals(2, sim.acceptedCount());
            assertEquals("h2", sim.snapshot().connections().get(0).protocol());
        }
    }

    @Test
    void curlShouldSeeApnsErrorReasons() throws IOException {
        try (ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress a = sim.start(ApnsSimConfig.builder(pki.identity()).tokenAuth(true).build());
            String device = "/3/device/" + SimFixtures.token(1);
            String auth = "authorization: " + bearerTeamA;
            String topic = "apns-topic: " + TOPIC;
            assertReason(curl(a, device, post("{}", auth)), 400, "MissingTopic");
            assertReason(curl(a, device, List.of("-H", auth, "-H", topic)), 405, "MethodNotAllowed");
            assertReason(curl(a, "/3/devices/abc", post("{}", auth, topic)), 404, "BadPath");
            assertReason(curl(a, "/3/device/", post("{}", auth, topic)), 400, "MissingDeviceToken");
            assertReason(curl(a, device, post("{}", topic)), 403, "MissingProviderToken");
            assertReason(curl(a, device, post("{}", "authorization: bearer not.a.jwt", topic)), 403,
                    "InvalidProviderToken");
            assertReason(curl(a, device, post("{}", auth, topic, "apns-id: nope")), 400, "BadMessageId");
            assertReason(curl(a, device, post("{}", auth, topic, "apns-priority: 7")), 400, "BadPriority");
            assertReason(curl(a, device, post("{}", auth, topic, "apns-push-type: shout")), 400, "InvalidPushType");
            assertReason(curl(a, device, post("{}", auth, topic, "apns-expiration: soon")), 400, "BadExpirationDate");
            assertReason(curl(a, device, post("{}", auth, topic, "apns-collapse-id: " + "c".repeat(65))), 400,
                    "BadCollapseId");
            assertReason(curl(a, "/3/device/" + "zz".repeat(32), post("{}", auth, topic)), 400, "BadDeviceToken");
            assertReason(curl(a, device, post("", auth, topic)), 400, "PayloadEmpty");
            Path big = dir.resolve("voip.json");
            Files.writeString(big, "{\"a\":\"" + "v".repeat(5000) + "\"}");
            assertEquals(200, curl(a, device, post("@" + big, auth, topic, "apns-push-type: voip")).status());
            assertReason(curl(a, device, post("@" + big, auth, topic, "apns-push-type: alert")), 413,
                    "PayloadTooLarge");
            ApnsSimSnapshot snapshot = sim.snapshot();
            assertEquals(1, snapshot.accepted(), snapshot.summary());
            assertEquals(14, snapshot.rejected(), snapshot.summary());
            assertEquals(1, snapshot.rejected("InvalidProviderToken"));
        }
    }

    private static void assertReason(Answer answer, int status, String reason) {
        assertEquals(status, answer.status(), answer.raw());
        assertEquals("{\"reason\":\"" + reason + "\"}", answer.body(), answer.raw());
        assertTrue(answer.headers().containsKey("apns-id"), answer.raw());
    }

    @Test
    void secondTeamOnOneConnectionShouldBeInvalidProviderToken() {
        try (ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress a = sim.start(ApnsSimConfig.builder(pki.identity()).tokenAuth(true).build());
            String url = "https://" + HOST + ":" + a.getPort() + "/3/device/" + SimFixtures.token(1);
            // One curl run, two requests on one reused connection (--next keeps the connection pool).
            ExternalProcess.Result result = SimFixtures.curl("--http2", "--cacert", pki.caPem().toString(),
                    "--resolve", HOST + ":" + a.getPort() + ":127.0.0.1", "-w", "\n%{http_code}\n",
                    "-H", "authorization: " + bearerTeamA, "-H", "apns-topic: " + TOPIC, "-d", "{}", url,
                    "--next", "--http2", "--cacert", pki.caPem().toString(),
                    "--resolve", HOST + ":" + a.getPort() + ":127.0.0.1", "-w", "\n%{http_code}\n",
                    "-H", "authorization: " + bearerTeamB, "-H", "apns-topic: " + TOPIC, "-d", "{}", url);
            assertEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains("{\"reason\":\"InvalidProviderToken\"}\n403"), result.output());
            ApnsSimSnapshot snapshot = sim.snapshot();
            assertEquals(1, snapshot.connectionsOpened(), snapshot.toString());
            assertEquals(1, snapshot.accepted());
            assertEquals("TEAMAAAAAA", snapshot.connections().get(0).identity());
        }
    }

    @Test
    void http11ClientShouldGet505AndNoStream() {
        try (ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress a = sim.start(ApnsSimConfig.builder(pki.identity()).build());
            Answer answer = curl(a, "/3/device/" + SimFixtures.token(1), List.of("--http1.1", "-d", "{}",
                    "-H", "apns-topic: " + TOPIC));
            assertEquals(505, answer.status(), answer.raw());
            assertEquals(1, sim.snapshot().notHttp2());
            assertEquals(0, sim.acceptedCount() + sim.rejectedCount());
        }
    }

    @Test
    void clientCertificateShouldBeRequiredAndItsTopicUsed() throws Exception {
        TestPki.LeafFiles provider = pki.pki().client("provider");
        try (ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress a = sim.start(ApnsSimConfig.builder(pki.identity())
                    .clientCa(List.of(pki.pki().ca().certificate())).certificateTopic(TOPIC).build());
            Answer answer = curl(a, "/3/device/" + SimFixtures.token(1), List.of("--cert", provider.chain().toString(),
                    "--key", provider.key().toString(), "-d", "{}"));
            assertEquals(200, answer.status(), answer.raw());
            assertEquals(1, sim.acceptedCount());
            assertTrue(sim.snapshot().connections().get(0).identity().contains("CN=provider"),
                    sim.snapshot().connections().toString());

            ExternalProcess.Result refused = SimFixtures.curl("--http2", "--cacert", pki.caPem().toString(),
                    "--resolve", HOST + ":" + a.getPort() + ":127.0.0.1", "-d", "{}",
                    "https://" + HOST + ":" + a.getPort() + "/3/device/" + SimFixtures.token(2));
            assertTrue(refused.exitCode() != 0, refused.output());
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (sim.snapshot().handshakeFailures() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(1, sim.snapshot().handshakeFailures());
            assertEquals(1, sim.acceptedCount());
        }
    }

    @Test
    void answerDelayShouldHoldTheAnswer() {
        try (ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress a = sim.start(ApnsSimConfig.builder(pki.identity()).answerDelay(Duration.ofMillis(300))
                    .build());
            Answer answer = curl(a, "/3/device/" + SimFixtures.token(1), List.of("-d", "{}", "-H", "apns-topic: t",
                    "-w", "time_total=%{time_total} time_appconnect=%{time_appconnect}"));
            assertEquals(200, answer.status());
            Matcher m = Pattern.compile("time_total=([0-9.]+) time_appconnect=([0-9.]+)").matcher(answer.body());
            assertTrue(m.find(), answer.raw());
            double waited = Double.parseDouble(m.group(1)) - Double.parseDouble(m.group(2));
            assertTrue(waited >= 0.29, "waited " + waited + " s");
        }
    }

    @Test
    void goAwayAfterTwoStreamsShouldMoveTheThirdToANewConnection() {
        try (ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress a = sim.start(ApnsSimConfig.builder(pki.identity()).goAwayAfterStreams(2).build());
            String url = "https://" + HOST + ":" + a.getPort() + "/3/device/" + SimFixtures.token(1);
            ExternalProcess.Result result = SimFixtures.curl("--http2", "--cacert", pki.caPem().toString(),
                    "--resolve", HOST + ":" + a.getPort() + ":127.0.0.1", "-H", "apns-topic: " + TOPIC, "-d", "{}",
                    "-w", "%{http_code}\n", url, url, url);
            assertEquals(0, result.exitCode(), result.output());
            assertEquals("200\n200\n200\n", result.output());
            ApnsSimSnapshot snapshot = sim.snapshot();
            assertEquals(3, snapshot.accepted());
            assertEquals(1, snapshot.goAwaysSent(), snapshot.summary());
            assertEquals(2, snapshot.connectionsOpened(), snapshot.summary());
        }
    }

    @Test
    void dropAfterOneStreamShouldLoseTheSecondRequest() throws Exception {
        try (ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress a = sim.start(ApnsSimConfig.builder(pki.identity()).dropAfterStreams(1).build());
            HttpClient client = SimFixtures.httpClient(pki.caPem(), HttpClient.Version.HTTP_2);
            URI uri = URI.create("https://127.0.0.1:" + a.getPort() + "/3/device/" + SimFixtures.token(1));
            HttpRequest request = HttpRequest.newBuilder(uri).header("apns-topic", TOPIC)
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).timeout(Duration.ofSeconds(10)).build();
            HttpResponse<String> first = client.send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, first.statusCode());
            assertEquals(HttpClient.Version.HTTP_2, first.version());
            assertThrows(IOException.class, () -> client.send(request, HttpResponse.BodyHandlers.ofString()));
            ApnsSimSnapshot snapshot = sim.snapshot();
            assertEquals(1, snapshot.accepted());
            assertEquals(1, snapshot.connectionsDropped(), snapshot.summary());
        }
    }

    @Test
    void h2loadShouldGetOnly200sAndPrintAThroughputFigure() throws IOException {
        try (ApnsSimulator sim = new ApnsSimulator()) {
            InetSocketAddress a = sim.start(ApnsSimConfig.builder(pki.identity()).build());
            Path body = dir.resolve("body.json");
            Files.writeString(body, "{\"aps\":{\"alert\":\"" + "x".repeat(230) + "\"}}");
            ExternalProcess.Result result = ExternalProcess.run(Duration.ofSeconds(30), Map.of(), List.of("h2load",
                    "-n", "10000", "-c", "4", "-m", "50", "-t", "1", "-d", body.toString(),
                    "-H", "apns-topic: " + TOPIC,
                    "https://127.0.0.1:" + a.getPort() + "/3/device/" + SimFixtures.token(1)));
            assertEquals(0, result.exitCode(), result.output());
            Matcher statuses = Pattern.compile("status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx, (\\d+) 5xx")
                    .matcher(result.output());
            assertTrue(statuses.find(), result.output());
            assertEquals(10000, Long.parseLong(statuses.group(1)), result.output());
            assertEquals(10000, sim.acceptedCount());
            Matcher rate = Pattern.compile("finished in [^,]+, ([0-9.]+) req/s").matcher(result.output());
            assertTrue(rate.find(), result.output());
            System.out.println("h2load -> apns simulator (in the test JVM, paranoid leak detection): "
                    + rate.group(1) + " req/s");
        }
    }
}
