package io.pushrelay.pre.e2e;

import com.eatthepath.pushy.apns.DeliveryPriority;
import com.eatthepath.pushy.apns.PushType;
import com.eatthepath.pushy.apns.util.SimpleApnsPushNotification;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The notifications of a scenario, the same in every JVM that makes them: device tokens,
 * payloads (with non-ASCII text, sizes up to a few KB), priorities, push types, expirations,
 * collapse ids and {@code apns-id}s all vary with the index. Every {@code badEvery}-th uses a
 * token of 32 hex digits: the relay's path rule lets it through, APNS (the mock) answers
 * {@code 400 BadDeviceToken}.
 */
public final class Notifications {
    private static final Instant EXPIRATION_BASE = Instant.parse("2031-01-01T00:00:00Z");

    private Notifications() {
    }

    /** The 64-hex-digit token of device {@code i}. */
    /** A 256-byte-ish APNS payload written to {@code dir/notification.json}, for h2load and curl. */
    public static Path writeBody(Path dir) throws IOException {
        Path body = dir.resolve("notification.json");
        Files.writeString(body, "{\"aps\":{\"alert\":\"" + "x".repeat(200) + "\"}}");
        return body;
    }

    public static String token(int i) {
        return sha256Hex(("device-" + i).getBytes(StandardCharsets.US_ASCII));
    }

    /** A token APNS rejects as malformed (32 hex digits). */
    public static String badToken(int i) {
        return token(i).substring(0, 32);
    }

    public static boolean isBad(int i, int badEvery) {
        return badEvery > 0 && i % badEvery == badEvery - 1;
    }

    /** The tokens registered for {@link E2ePki#TOPIC} at the upstream: every good one below {@code count}. */
    public static Set<String> registered(int count, int badEvery) {
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < count; i++) {
            if (!isBad(i, badEvery)) {
                out.add(token(i));
            }
        }
        return out;
    }

    public static SimpleApnsPushNotification notification(int i, int badEvery) {
        String token = isBad(i, badEvery) ? badToken(i) : token(i);
        StringBuilder payload = new StringBuilder("{\"aps\":{\"alert\":{\"title\":\"n")
                .append(i).append(" caf\u00e9 \u20ac \u2603\",\"body\":\"");
        int pad = (i * 37) % 2900;
        for (int k = 0; k < pad; k++) {
            payload.append((char) ('a' + (i + k) % 26));
        }
        payload.append("\"},\"sound\":\"default\"},\"i\":").append(i).append('}');
        Instant expiration = i % 3 == 0 ? null : EXPIRATION_BASE.plusSeconds(i);
        DeliveryPriority priority = i % 2 == 0 ? DeliveryPriority.IMMEDIATE : DeliveryPriority.CONSERVE_POWER;
        PushType type = i % 5 == 0 ? PushType.BACKGROUND : PushType.ALERT;
        String collapseId = i % 7 == 0 ? "collapse-" + (i % 100) : null;
        UUID apnsId = UUID.nameUUIDFromBytes(("notification-" + i).getBytes(StandardCharsets.US_ASCII));
        return new SimpleApnsPushNotification(token, E2ePki.TOPIC, payload.toString(), expiration, priority, type,
                collapseId, apnsId);
    }

    public static List<SimpleApnsPushNotification> plan(int count, int badEvery) {
        return plan(0, count, badEvery);
    }

    /** Notifications {@code first} to {@code first + count - 1}. */
    public static List<SimpleApnsPushNotification> plan(int first, int count, int badEvery) {
        List<SimpleApnsPushNotification> out = new ArrayList<>(count);
        for (int i = first; i < first + count; i++) {
            out.add(notification(i, badEvery));
        }
        return out;
    }

    /** What the sender meant: topic, priority, push type, expiration, collapse id, device, payload. */
    public static String digest(SimpleApnsPushNotification n) {
        return String.join("|", n.getTopic(), String.valueOf(n.getPriority().getCode()),
                n.getPushType().getHeaderValue(),
                String.valueOf(n.getExpiration() == null ? 0 : n.getExpiration().getEpochSecond()),
                n.getCollapseId() == null ? "-" : n.getCollapseId(), n.getToken(),
                sha256Hex(n.getPayload().getBytes(StandardCharsets.UTF_8)));
    }

    /** What the upstream received, in the form of {@link #digest(SimpleApnsPushNotification)}. */
    public static String digest(Http2Headers headers, byte[] payload) {
        String path = String.valueOf(headers.path());
        return String.join("|", str(headers.get("apns-topic")), str(headers.get("apns-priority")),
                str(headers.get("apns-push-type")), str(headers.get("apns-expiration")),
                str(headers.get("apns-collapse-id")), path.substring(path.lastIndexOf('/') + 1),
                sha256Hex(payload));
    }

    private static String str(CharSequence value) {
        return value == null ? "-" : value.toString();
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
