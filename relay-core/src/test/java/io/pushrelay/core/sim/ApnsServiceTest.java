package io.pushrelay.core.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import java.time.Instant;
import java.util.Base64;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** APNS's checks and answers, without sockets. */
class ApnsServiceTest {
    private static final String TEAM = "TEAM123456";
    private static final String KID = "KEY1234567";

    @TempDir
    static java.nio.file.Path dir;
    static ServerIdentity identity;
    static KeyPair key;

    @BeforeAll
    static void setUp() {
        identity = SimFixtures.pki(dir).identity();
        key = SimFixtures.p256();
    }

    /** An ES256 JWT signed the JOSE way (R||S, 64 bytes), or DER when {@code der}. */
    static String jwt(KeyPair signer, String kid, String team, long iat, boolean der) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = "{\"alg\":\"ES256\",\"kid\":\"" + kid + "\"}";
        String claims = "{\"iss\":\"" + team + "\",\"iat\":" + iat + "}";
        String input = b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8));
        Signature signature = Signature.getInstance(der ? "SHA256withECDSA" : "SHA256withECDSAinP1363Format");
        signature.initSign(signer.getPrivate());
        signature.update(input.getBytes(StandardCharsets.US_ASCII));
        return input + "." + b64.encodeToString(signature.sign());
    }

    private static Http2Headers post(String token) {
        return new DefaultHttp2Headers().method("POST").path("/3/device/" + token).scheme("https")
                .authority("api.push.apple.com").set("apns-topic", "com.example.app");
    }

    private static SimResponse send(ApnsService service, SimConnection connection, Http2Headers headers, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return service.handle(new SimRequest(headers.method().toString(), headers.path().toString(), "x", headers,
                bytes, bytes.length, "h2"), connection);
    }

    private static String reason(SimResponse response) {
        return new String(response.body(), StandardCharsets.UTF_8).replaceAll(".*\"reason\":\"([A-Za-z]+)\".*", "$1");
    }

    private static void assertRejected(SimResponse response, int status, String reason) {
        assertEquals(status, response.status(), new String(response.body(), StandardCharsets.UTF_8));
        assertEquals(reason, reason(response));
        assertTrue(ApnsService.isUuid(response.headers().get("apns-id")));
    }

    @Test
    void aGoodNotificationShouldGet200WithBothIds() {
        ApnsService service = new ApnsService(ApnsSimConfig.builder(identity).build());
        SimResponse ok = send(service, new SimConnection("c-1", null), post(SimFixtures.token(1)), "{}");
        assertEquals(200, ok.status());
        assertEquals(0, ok.body().length);
        assertNotEquals(ok.headers().get("apns-id"), ok.headers().get("apns-unique-id"));
        assertTrue(ApnsService.isUuid(ok.headers().get("apns-unique-id")));
        assertEquals(1, service.acceptedCount());
    }

    @Test
    void headerChecksShouldUseApnsReasons() {
        ApnsService service = new ApnsService(ApnsSimConfig.builder(identity).badToken(SimFixtures.token(5)
                .toUpperCase(Locale.ROOT)).build());
        SimConnection c = new SimConnection("c-1", null);
        String token = SimFixtures.token(1);
        assertRejected(send(service, c, post(token).method("GET"), "{}"), 405, "MethodNotAllowed");
        assertRejected(send(service, c, post(token).path("/2/device/" + token), "{}"), 404, "BadPath");
        assertRejected(send(service, c, post(token).add("apns-topic", "other"), "{}"), 400, "DuplicateHeaders");
        assertRejected(send(service, c, post(token).set("apns-id", "123"), "{}"), 400, "BadMessageId");
        assertRejected(send(service, c, post(token).set("apns-priority", "0"), "{}"), 400, "BadPriority");
        assertRejected(send(service, c, post(token).set("apns-push-type", "ALERT"), "{}"), 400, "InvalidPushType");
        assertRejected(send(service, c, post(token).set("apns-expiration", "-1"), "{}"), 400, "BadExpirationDate");
        assertRejected(send(service, c, post("a".repeat(63)), "{}"), 400, "BadDeviceToken");
        assertRejected(send(service, c, post("a".repeat(201)), "{}"), 400, "BadDeviceToken");
        assertRejected(send(service, c, post(SimFixtures.token(5)), "{}"), 400, "BadDeviceToken");
        assertEquals(200, send(service, c, post("A".repeat(200)), "{}").status());
        assertEquals(200, send(service, c, post(token).set("apns-priority", "5").set("apns-push-type", "background")
                .set("apns-expiration", "0").set("apns-collapse-id", "c".repeat(64)), "{}").status());
        assertEquals(10, service.rejectedByReason().values().stream().mapToLong(Long::longValue).sum());
    }

    @Test
    void payloadLimitsShouldDependOnThePushType() {
        ApnsService service = new ApnsService(ApnsSimConfig.builder(identity).build());
        SimConnection c = new SimConnection("c-1", null);
        String token = SimFixtures.token(1);
        String at4096 = "{\"a\":\"" + "x".repeat(4096 - 8) + "\"}";
        String at5120 = "{\"a\":\"" + "x".repeat(5120 - 8) + "\"}";
        assertEquals(200, send(service, c, post(token), at4096).status());
        assertRejected(send(service, c, post(token), at4096 + " "), 413, "PayloadTooLarge");
        assertEquals(200, send(service, c, post(token).set("apns-push-type", "voip"), at5120).status());
        assertRejected(send(service, c, post(token).set("apns-push-type", "voip"), at5120 + " "), 413,
                "PayloadTooLarge");
        assertRejected(send(service, c, post(token), ""), 400, "PayloadEmpty");
    }

    @Test
    void unregisteredShouldCarryItsTimestamp() {
        Instant since = Instant.ofEpochMilli(1_700_000_000_123L);
        ApnsService service = new ApnsService(ApnsSimConfig.builder(identity)
                .unregistered(SimFixtures.token(3).toUpperCase(Locale.ROOT), since).build());
        SimResponse gone = send(service, new SimConnection("c-1", null), post(SimFixtures.token(3)), "{}");
        assertEquals(410, gone.status());
        assertEquals("{\"reason\":\"Unregistered\",\"timestamp\":1700000000123}",
                new String(gone.body(), StandardCharsets.UTF_8));
    }

    @Test
    void providerTokensShouldBeVerifiedBoundToOneTeamAndExpire() throws Exception {
        ApnsService service = new ApnsService(ApnsSimConfig.builder(identity)
                .tokenKey(new ApnsSimConfig.TokenKey(TEAM, KID, key.getPublic()))
                .tokenKey(new ApnsSimConfig.TokenKey("OTHERTEAM0", "KEYOTHER00", SimFixtures.p256().getPublic()))
                .build());
        SimConnection c = new SimConnection("c-1", null);
        long now = Instant.now().getEpochSecond();
        String token = SimFixtures.token(1);
        assertRejected(send(service, c, post(token), "{}"), 403, "MissingProviderToken");
        assertRejected(send(service, c, post(token).set("authorization", "bearer"), "{}"), 403, "MissingProviderToken");
        assertRejected(send(service, c, post(token).set("authorization", "basic abc"), "{}"), 403,
                "InvalidProviderToken");
        for (boolean der : new boolean[] {false, true}) {
            String good = "bearer " + jwt(key, KID, TEAM, now, der);
            assertEquals(200, send(service, c, post(token).set("authorization", good), "{}").status());
            assertEquals(200, send(service, c, post(token).set("authorization", good), "{}").status(), "cached");
        }
        assertEquals(TEAM, c.team);
        assertRejected(send(service, c, post(token).set("authorization", "bearer "
                + jwt(SimFixtures.p256(), KID, TEAM, now, false)), "{}"), 403, "InvalidProviderToken");
        assertRejected(send(service, c, post(token).set("authorization", "bearer "
                + jwt(key, "UNKNOWNKID", TEAM, now, false)), "{}"), 403, "InvalidProviderToken");
        assertRejected(send(service, c, post(token).set("authorization", "bearer "
                + jwt(key, KID, TEAM, now - ApnsService.TOKEN_LIFETIME_SECONDS - 60, false)), "{}"), 403,
                "ExpiredProviderToken");
        // A token of another team, valid in itself, on a connection bound to TEAM.
        assertRejected(send(service, c, post(token).set("authorization", "bearer "
                + jwt(key, KID, "OTHERTEAM0", now, false)), "{}"), 403, "InvalidProviderToken");
        assertEquals(4, service.acceptedCount());
    }

    @Test
    void unverifiedTokenModeShouldStillEnforceOneTeamPerConnection() throws Exception {
        ApnsService service = new ApnsService(ApnsSimConfig.builder(identity).tokenAuth(true).build());
        long now = Instant.now().getEpochSecond();
        SimConnection first = new SimConnection("c-1", null);
        String teamA = "bearer " + jwt(SimFixtures.p256(), "K1", "TEAMA", now, false);
        String teamB = "bearer " + jwt(SimFixtures.p256(), "K2", "TEAMB", now, true);
        assertEquals(200, send(service, first, post(SimFixtures.token(1)).set("authorization", teamA), "{}").status());
        assertRejected(send(service, first, post(SimFixtures.token(1)).set("authorization", teamB), "{}"), 403,
                "InvalidProviderToken");
        SimConnection second = new SimConnection("c-2", null);
        assertEquals(200, send(service, second, post(SimFixtures.token(1)).set("authorization", teamB), "{}").status());
        assertRejected(send(service, second, post(SimFixtures.token(1)).set("authorization", "bearer a.b.c"), "{}"),
                403, "InvalidProviderToken");
    }

    @Test
    void recordingShouldKeepTheMostRecentWithoutAuthorization() throws Exception {
        ApnsService service = new ApnsService(ApnsSimConfig.builder(identity).tokenAuth(true).recordAccepted(2)
                .build());
        SimConnection c = new SimConnection("c-1", null);
        String auth = "bearer " + jwt(key, KID, TEAM, Instant.now().getEpochSecond(), false);
        for (int i = 0; i < 3; i++) {
            send(service, c, post(SimFixtures.token(i)).set("authorization", auth), "{\"n\":" + i + "}");
        }
        var recorded = service.recorded();
        assertEquals(2, recorded.size());
        assertEquals("{\"n\":1}", recorded.get(0).payloadUtf8());
        assertEquals(SimFixtures.token(2), recorded.get(1).deviceToken());
        assertEquals(TEAM, recorded.get(1).team());
        assertFalse(recorded.get(1).headers().containsKey("authorization"));
        assertFalse(recorded.get(1).headers().containsKey(":path"));
        assertEquals("com.example.app", recorded.get(1).topic());
    }
}
