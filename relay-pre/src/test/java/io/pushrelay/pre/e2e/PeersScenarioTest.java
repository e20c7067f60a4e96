package io.pushrelay.pre.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.pushrelay.core.testing.ExternalProcess;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificate-based APNS auth end to end, and two more senders nobody here wrote, all by name
 * through {@code /etc/hosts} (network namespace) and relay-pre -> Squid -> Pushy's mock:
 *
 * <ul>
 *   <li>the mock trusts client certificates of one CA only; relay-pre has
 *       {@code --apns-client-cert} from that CA; Pushy, set up for certificate auth, sends no
 *       {@code authorization}, and relay-pre's certificate pool presents the certificate (the mock
 *       sees its subject and validates the topic against its UID);</li>
 *   <li>curl {@code --http2} and a Go standard-library client with provider tokens, through the
 *       same relay (its token pool);</li>
 *   <li>relay-pre without the certificate: the mock answers 403 MissingProviderToken; with a
 *       certificate from a CA the mock does not trust: nothing is presented, 403 again.</li>
 * </ul>
 */
class PeersScenarioTest {
    static final int COUNT = 400;
    static final int BAD_EVERY = 20;
    static final String UID_SUBJECT = "UID=" + E2ePki.TOPIC;

    @TempDir
    Path dir;

    @Test
    void certificateAuthCurlAndGoShouldReachTheMockThroughRelayAndSquid() throws Exception {
        E2ePki pki = E2ePki.create(dir.resolve("pki"));
        Path goClient = buildGoClient(dir.resolve("go"));
        JsonNode s = Scenario.run(pki, dir, Duration.ofSeconds(150), "--mode", "peers", "--count",
                Integer.toString(COUNT), "--bad-every", Integer.toString(BAD_EVERY), "--go-client", goClient.toString());
        System.out.println("peers scenario: " + s);
        int bad = COUNT / BAD_EVERY;

        // Certificate auth: every notification through the certificate pool, none with a token.
        JsonNode cert = s.get("withCertificate");
        JsonNode pushy = cert.get("pushy");
        assertEquals(0, pushy.get("failed").asInt(), s::toString);
        assertEquals(0, pushy.get("unanswered").asInt(), s::toString);
        assertEquals(0, pushy.get("notSent").asInt(), s::toString);
        assertEquals(COUNT - bad, pushy.get("accepted").asInt(), s::toString);
        assertEquals(bad, pushy.get("rejected").get("400 BadDeviceToken").asInt(), s::toString);
        JsonNode mockAfterPushy = cert.get("mockAfterPushy");
        assertEquals(COUNT - bad, mockAfterPushy.get("accepted").asInt(), s::toString);
        assertEquals(0, mockAfterPushy.get("acceptedWithAuthorization").asInt(), s::toString);
        assertEquals(1, mockAfterPushy.get("clientSubjects").size(), s::toString);
        assertTrue(mockAfterPushy.get("clientSubjects").get(0).asText().contains(UID_SUBJECT), s::toString);

        // curl --http2 and Go with provider tokens: the token pool, which presents no certificate.
        JsonNode curl = cert.get("curl");
        assertEquals(0, curl.get("exitCode").asInt(), s::toString);
        assertEquals("200 2 " + curl.get("apnsId").asText(), curl.get("output").asText(), s::toString);
        JsonNode curlBad = cert.get("curlBadToken");
        assertEquals("{\"reason\":\"BadDeviceToken\"}\n400 2 " + curlBad.get("apnsId").asText(),
                curlBad.get("output").asText(), s::toString);
        JsonNode go = cert.get("go");
        assertEquals(0, go.get("exitCode").asInt(), s::toString);
        assertEquals(20, go.get("lines").size(), s::toString);
        for (JsonNode line : go.get("lines")) {
            assertTrue(line.asText().matches("200 HTTP/2\\.0 [0-9a-f-]{36} "), s::toString);
        }
        JsonNode mockAfterAll = cert.get("mockAfterAll");
        assertEquals(COUNT - bad + 1 + 20, mockAfterAll.get("accepted").asInt(), s::toString);
        assertEquals(1 + 20, mockAfterAll.get("acceptedWithAuthorization").asInt(), s::toString);
        assertEquals(bad + 1, mockAfterAll.get("rejected").get("BadDeviceToken").asInt(), s::toString);
        List<String> subjects = texts(mockAfterAll.get("clientSubjects"));
        assertEquals(1, subjects.stream().filter(x -> x.contains(UID_SUBJECT)).count(), s::toString);
        assertTrue(subjects.stream().filter(x -> !x.contains(UID_SUBJECT)).allMatch("-"::equals), s::toString);
        JsonNode relay = cert.get("relay");
        assertEquals(COUNT - bad + 1 + 20, relay.get("requests").get("200 -").asInt(), s::toString);
        assertEquals(bad + 1, relay.get("requests").get("400 -").asInt(), s::toString);
        assertEquals(COUNT + 2 + 20, relay.get("accessLogLines").asInt(), s::toString);
        assertRelayClean(relay, s);

        // Without the certificate: nothing presented, the mock refuses.
        JsonNode none = s.get("withoutCertificate");
        assertEquals(Map.of("403 MissingProviderToken", 38, "400 BadDeviceToken", 2),
                counts(none.get("pushy").get("rejected")), s::toString);
        assertEquals("-", last(none.get("mock").get("clientSubjects")), s::toString);
        assertRelayClean(none.get("relay"), s);

        // A certificate the mock does not trust is not presented either (TLS picks by issuer).
        JsonNode untrusted = s.get("untrustedCertificate");
        assertEquals(Map.of("403 MissingProviderToken", 19, "400 BadDeviceToken", 1),
                counts(untrusted.get("pushy").get("rejected")), s::toString);
        assertEquals("-", last(untrusted.get("mock").get("clientSubjects")), s::toString);
        assertRelayClean(untrusted.get("relay"), s);

        // Every upstream connection went through Squid; the mock never saw any other.
        int connections = untrusted.get("mock").get("connections").asInt();
        assertEquals(connections, s.get("squidConnects").size(), s::toString);
        for (JsonNode line : s.get("squidConnects")) {
            assertTrue(line.asText().matches("TCP_TUNNEL/200 api\\.push\\.apple\\.com:\\d+"), s::toString);
        }
    }

    static void assertRelayClean(JsonNode relay, JsonNode s) {
        assertEquals(0, relay.get("exitCode").asInt(), s::toString);
        assertEquals(0, relay.get("leaks").size(), s::toString);
        assertEquals(0, relay.get("warnings").size(), s::toString);
    }

    static Path buildGoClient(Path dir) throws Exception {
        Files.createDirectories(dir);
        try (InputStream in = PeersScenarioTest.class.getResourceAsStream("goclient.go")) {
            Files.write(dir.resolve("main.go"), in.readAllBytes());
        }
        Map<String, String> env = Map.of("GO111MODULE", "off", "GOCACHE", dir.resolve("cache").toString(),
                "HOME", dir.toString(), "GOPATH", dir.resolve("gopath").toString(), "GOFLAGS", "");
        ExternalProcess.Result build = ExternalProcess.run(Duration.ofSeconds(120), env,
                List.of("go", "build", "-o", dir.resolve("goclient").toString(), dir.resolve("main.go").toString()));
        assertEquals(0, build.exitCode(), "go build:\n" + build.output());
        return dir.resolve("goclient");
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static String last(JsonNode array) {
        return array.get(array.size() - 1).asText();
    }

    static Map<String, Integer> counts(JsonNode object) {
        Map<String, Integer> out = new java.util.TreeMap<>();
        object.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asInt()));
        return out;
    }
}
