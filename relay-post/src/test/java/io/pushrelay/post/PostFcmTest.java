package io.pushrelay.post;

import static io.pushrelay.post.PostTestbed.curl;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.config.ConfigOverrides;
import io.pushrelay.core.sim.FcmSimConfig;
import io.pushrelay.core.sim.FcmSimulator;
import io.pushrelay.core.sim.ServerIdentity;
import io.pushrelay.core.testing.ExternalProcess;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FCM through relay-post with {@code fcm: true}: curl gets an OAuth2 token from
 * {@code oauth2.googleapis.com/token} (absolute-form) and sends with it to
 * {@code fcm.googleapis.com/v1/projects/.../messages:send} (CONNECT, h2 inside), both relayed
 * as h2 over the real pool to our FCM simulator, which only takes tokens it issued. A path
 * outside FCM's pattern is refused at the relay.
 */
class PostFcmTest {
    private static final String FCM = "fcm.googleapis.com";
    private static final String OAUTH = "oauth2.googleapis.com";
    private static final Pattern ACCESS_TOKEN = Pattern.compile("\"access_token\"\\s*:\\s*\"([^\"]+)\"");

    @TempDir
    Path dir;

    /** A service-account assertion's shape (the simulator checks claims, not the signature). */
    private static String assertion() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        long now = Instant.now().getEpochSecond();
        return b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(("{\"iss\":\"sender@project-1.iam.gserviceaccount.com\",\"scope\":"
                + "\"https://www.googleapis.com/auth/firebase.messaging\",\"aud\":\"https://oauth2.googleapis.com/token\","
                + "\"iat\":" + now + ",\"exp\":" + (now + 3600) + "}").getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString("signature".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void tokenThenMessageShouldGoThroughToTheFcmSimulator() throws Exception {
        try (PostTestbed bed = new PostTestbed(dir); FcmSimulator sim = new FcmSimulator()) {
            InetSocketAddress simAddress = sim.start(FcmSimConfig.builder(
                    ServerIdentity.fromPem(bed.upstreamCert.chain(), bed.upstreamCert.key()))
                    .project("project-1").requireIssuedTokens(true).build());
            Map<String, String> routes = new LinkedHashMap<>();
            routes.put(FCM, "127.0.0.1:" + simAddress.getPort());
            routes.put(OAUTH, "127.0.0.1:" + simAddress.getPort());
            try (PostRelay relay = PostRelay.start(bed.config(ConfigOverrides.none()
                    .set("test", "routes", routes).set("test", "fcm", true)))) {
                String proxy = "https://127.0.0.1:" + relay.address().getPort();
                String ca = bed.pki.caPem().toString();

                ExternalProcess.Result token = curl("--http1.1", "--proxy", proxy, "--proxy-cacert", ca,
                        "-H", "content-type: application/x-www-form-urlencoded",
                        "--data-urlencode", "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer",
                        "--data-urlencode", "assertion=" + assertion(), "http://" + OAUTH + "/token");
                assertTrue(token.output().endsWith("STATUS 200 1.1"), token.output());
                Matcher m = ACCESS_TOKEN.matcher(token.output());
                assertTrue(m.find(), token.output());

                ExternalProcess.Result sent = curl("--http2", "--proxy", proxy, "--proxy-cacert", ca, "--proxytunnel",
                        "--cacert", ca, "-H", "authorization: Bearer " + m.group(1), "-H",
                        "content-type: application/json", "--data-binary",
                        "{\"message\":{\"token\":\"dev-token-1\",\"notification\":{\"title\":\"hi\"}}}",
                        "https://" + FCM + "/v1/projects/project-1/messages:send");
                assertTrue(sent.output().endsWith("STATUS 200 2"), sent.output());
                assertTrue(sent.output().contains("\"name\":\"projects/project-1/messages/"), sent.output());

                ExternalProcess.Result wrongPath = curl("--http1.1", "--proxy", proxy, "--proxy-cacert", ca,
                        "-H", "authorization: Bearer " + m.group(1), "--data-binary", "{}",
                        "http://" + FCM + "/v1/projects/project-1/topics:send");
                assertTrue(wrongPath.output().endsWith("STATUS 404 1.1"), wrongPath.output());
                assertTrue(wrongPath.output().contains("{\"reason\":\"BadPath\"}"), wrongPath.output());

                assertEquals(1, sim.tokensIssued());
                assertEquals(1, sim.acceptedCount());
                assertEquals(2, relay.pools().get(0).stats().requests(), "the refused path never went upstream");
            }
        }
    }
}
