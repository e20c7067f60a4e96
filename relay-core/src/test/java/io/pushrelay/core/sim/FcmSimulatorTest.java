package io.pushrelay.core.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pushrelay.core.testing.ExternalProcess;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The FCM and OAuth simulator against curl (h2 and HTTP/1.1) and the JDK HTTP client. */
class FcmSimulatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FCM = "fcm.googleapis.com";
    private static final String OAUTH = "oauth2.googleapis.com";
    private static final HttpResponse.BodyHandler<String> STRING = HttpResponse.BodyHandlers.ofString();
    private static final String MESSAGE = "{\"message\":{\"token\":\"dev-token-1\",\"data\":{\"k\":\"v\"}}}";

    @TempDir
    static Path dir;
    static SimFixtures.Pki pki;
    static KeyPair serviceAccountKey;

    @BeforeAll
    static void setUp() throws Exception {
        pki = SimFixtures.pki(dir.resolve("pki"));
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        serviceAccountKey = rsa.generateKeyPair();
    }

    /** A service-account assertion as Google's client libraries make it (RS256). */
    static String assertion(long iat, long exp) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}"
                .getBytes(StandardCharsets.UTF_8));
        String claims = b64.encodeToString(("{\"iss\":\"sender@project-1.iam.gserviceaccount.com\","
                + "\"scope\":\"https://www.googleapis.com/auth/firebase.messaging\","
                + "\"aud\":\"https://oauth2.googleapis.com/token\",\"iat\":" + iat + ",\"exp\":" + exp + "}")
                .getBytes(StandardCharsets.UTF_8));
        Signature signer = Signature.getInstance("SHA256withRSA");
        signer.initSign(serviceAccountKey.getPrivate());
        signer.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
        return header + "." + claims + "." + b64.encodeToString(signer.sign());
    }

    private static ExternalProcess.Result curl(InetSocketAddress sim, String host, String version, String path,
                                               String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of(version, "--cacert", pki.caPem().toString(),
                "--resolve", host + ":" + sim.getPort() + ":127.0.0.1", "-w", "\n%{http_code} %{http_version}"));
        args.addAll(List.of(extra));
        args.add("https://" + host + ":" + sim.getPort() + path);
        ExternalProcess.Result result = SimFixtures.curl(args.toArray(String[]::new));
        assertEquals(0, result.exitCode(), result.output());
        return result;
    }

    @Test
    void curlOverH2AndHttp11ShouldGetAMessageName() throws Exception {
        try (FcmSimulator sim = new FcmSimulator()) {
            InetSocketAddress a = sim.start(FcmSimConfig.builder(pki.identity()).recordAccepted(10).build());
            String path = "/v1/projects/project-1/messages:send";
            String[] post = {"-H", "authorization: Bearer ya29.anything", "-H", "content-type: application/json",
                "--data-binary", MESSAGE};
            ExternalProcess.Result h2 = curl(a, FCM, "--http2", path, post);
            assertTrue(h2.output().endsWith("\n200 2"), h2.output());
            ExternalProcess.Result h1 = curl(a, FCM, "--http1.1", path, post);
            assertTrue(h1.output().endsWith("\n200 1.1"), h1.output());
            ExternalProcess.Result noAlpn = curl(a, FCM, "--http1.1", path, concat(post, "--no-alpn"));
            assertTrue(noAlpn.output().endsWith("\n200 1.1"), noAlpn.output());
            for (ExternalProcess.Result r : List.of(h2, h1, noAlpn)) {
                JsonNode answer = JSON.readTree(r.output().substring(0, r.output().lastIndexOf('\n')));
                assertTrue(answer.path("name").asText().matches("projects/project-1/messages/0:\\d+"), r.output());
            }
            FcmSimSnapshot snapshot = sim.snapshot();
            assertEquals(3, snapshot.accepted(), snapshot.summary());
            assertEquals(1, snapshot.requestsByProtocol().get("h2"));
            assertEquals(2, snapshot.requestsByProtocol().get("http/1.1"));
            assertEquals(3, sim.recorded().size());
            assertEquals("dev-token-1", sim.recorded().get(0).target());
            assertEquals(JSON.readTree(MESSAGE).get("message"), JSON.readTree(sim.recorded().get(2).message()));
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void jdkClientShouldRoundTripTheOAuthTokenAndSendWithIt() throws Exception {
        try (FcmSimulator sim = new FcmSimulator()) {
            InetSocketAddress a = sim.start(FcmSimConfig.builder(pki.identity()).requireIssuedTokens(true)
                    .project("project-1").build());
            for (HttpClient.Version version : List.of(HttpClient.Version.HTTP_2, HttpClient.Version.HTTP_1_1)) {
                HttpClient client = SimFixtures.httpClient(pki.caPem(), version);
                long now = Instant.now().getEpochSecond();
                String form = "grant_type=" + URLEncoder.encode(FcmService.GRANT_TYPE, StandardCharsets.UTF_8)
                        + "&assertion=" + assertion(now, now + 3600);
                HttpResponse<String> token = client.send(HttpRequest.newBuilder(
                                URI.create("https://127.0.0.1:" + a.getPort() + "/token"))
                        .header("content-type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, token.statusCode(), token.body());
                assertEquals(version, token.version());
                JsonNode tokenJson = JSON.readTree(token.body());
                assertEquals("Bearer", tokenJson.path("token_type").asText());
                assertEquals(3599, tokenJson.path("expires_in").asInt());
                String accessToken = tokenJson.path("access_token").asText();

                URI send = URI.create("https://127.0.0.1:" + a.getPort() + "/v1/projects/project-1/messages:send");
                HttpResponse<String> sent = client.send(HttpRequest.newBuilder(send)
                        .header("authorization", "Bearer " + accessToken).header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(MESSAGE)).build(), STRING);
                assertEquals(200, sent.statusCode(), sent.body());
                assertTrue(JSON.readTree(sent.body()).path("name").asText().startsWith("projects/project-1/messages/"));

                HttpResponse<String> forged = client.send(HttpRequest.newBuilder(send)
                        .header("authorization", "Bearer ya29.not-issued-here")
                        .POST(HttpRequest.BodyPublishers.ofString(MESSAGE)).build(), STRING);
                assertEquals(401, forged.statusCode());
                assertEquals("UNAUTHENTICATED", JSON.readTree(forged.body()).path("error").path("status").asText());

                HttpResponse<String> otherProject = client.send(HttpRequest.newBuilder(
                                URI.create("https://127.0.0.1:" + a.getPort() + "/v1/projects/project-2/messages:send"))
                        .header("authorization", "Bearer " + accessToken)
                        .POST(HttpRequest.BodyPublishers.ofString(MESSAGE)).build(), STRING);
                assertEquals(403, otherProject.statusCode());
            }
            FcmSimSnapshot snapshot = sim.snapshot();
            assertEquals(2, snapshot.accepted(), snapshot.summary());
            assertEquals(2, snapshot.tokensIssued());
            assertEquals(2, snapshot.rejected("UNAUTHENTICATED"));
            assertEquals(2, snapshot.rejected("PERMISSION_DENIED"));
        }
    }

    @Test
    void errorsShouldComeInGooglesShape() throws Exception {
        try (FcmSimulator sim = new FcmSimulator()) {
            InetSocketAddress a = sim.start(FcmSimConfig.builder(pki.identity()).unregistered("gone-token")
                    .invalidToken("bad-token").build());
            String path = "/v1/projects/project-1/messages:send";
            String auth = "authorization: Bearer ya29.x";
            assertFcmError(curl(a, FCM, "--http2", path, "-H", auth, "--data-binary",
                    "{\"message\":{\"token\":\"gone-token\"}}"), 404, "NOT_FOUND", "UNREGISTERED");
            assertFcmError(curl(a, FCM, "--http2", path, "-H", auth, "--data-binary",
                    "{\"message\":{\"token\":\"bad-token\"}}"), 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT");
            assertFcmError(curl(a, FCM, "--http2", path, "-H", auth, "--data-binary", "{\"message\":"), 400,
                    "INVALID_ARGUMENT", null);
            assertFcmError(curl(a, FCM, "--http2", path, "-H", auth, "--data-binary", "{\"message\":{}}"), 400,
                    "INVALID_ARGUMENT", "INVALID_ARGUMENT");
            assertFcmError(curl(a, FCM, "--http2", path, "--data-binary", MESSAGE), 401, "UNAUTHENTICATED", null);
            assertFcmError(curl(a, FCM, "--http1.1", "/v1/projects/p/other", "-H", auth, "--data-binary", MESSAGE),
                    404, "NOT_FOUND", null);

            ExternalProcess.Result grant = curl(a, OAUTH, "--http2", "/token", "--data",
                    "grant_type=password&username=x");
            assertOAuthError(grant, "unsupported_grant_type");
            long old = Instant.now().getEpochSecond() - 7200;
            ExternalProcess.Result expired = curl(a, OAUTH, "--http2", "/token", "--data",
                    "grant_type=" + URLEncoder.encode(FcmService.GRANT_TYPE, StandardCharsets.UTF_8)
                            + "&assertion=" + assertion(old, old + 3600));
            assertOAuthError(expired, "invalid_grant");
            FcmSimSnapshot snapshot = sim.snapshot();
            assertEquals(0, snapshot.accepted());
            assertEquals(8, snapshot.rejected(), snapshot.summary());
        }
    }

    private static void assertFcmError(ExternalProcess.Result result, int code, String status, String fcmCode)
            throws Exception {
        String out = result.output();
        assertTrue(out.endsWith("\n" + code + " 2") || out.endsWith("\n" + code + " 1.1"), out);
        JsonNode error = JSON.readTree(out.substring(0, out.lastIndexOf('\n'))).path("error");
        assertEquals(code, error.path("code").asInt(), out);
        assertEquals(status, error.path("status").asText(), out);
        assertTrue(!error.path("message").asText().isEmpty(), out);
        if (fcmCode != null) {
            assertEquals(fcmCode, error.path("details").path(0).path("errorCode").asText(), out);
        }
    }

    private static void assertOAuthError(ExternalProcess.Result result, String error) throws Exception {
        String out = result.output();
        assertTrue(out.endsWith("\n400 2"), out);
        assertEquals(error, JSON.readTree(out.substring(0, out.lastIndexOf('\n'))).path("error").asText(), out);
    }

    @Test
    void answerDelayShouldApplyToHttp11Too() throws Exception {
        try (FcmSimulator sim = new FcmSimulator()) {
            InetSocketAddress a = sim.start(FcmSimConfig.builder(pki.identity()).answerDelay(Duration.ofMillis(250))
                    .build());
            HttpClient client = SimFixtures.httpClient(pki.caPem(), HttpClient.Version.HTTP_1_1);
            HttpRequest request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + a.getPort()
                            + "/v1/projects/p/messages:send")).header("authorization", "Bearer t")
                    .POST(HttpRequest.BodyPublishers.ofString(MESSAGE)).build();
            client.send(request, HttpResponse.BodyHandlers.ofString());
            long start = System.nanoTime();
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertEquals(200, response.statusCode());
            assertEquals(HttpClient.Version.HTTP_1_1, response.version());
            assertTrue(tookMillis >= 245, "took " + tookMillis + " ms");
        }
    }
}
