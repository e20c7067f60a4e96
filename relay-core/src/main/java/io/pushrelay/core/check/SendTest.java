package io.pushrelay.core.check;

import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One real notification that {@code check --send-test} sends through the configured upstream
 * path (the relay's own upstream pool and connector: proxy, CONNECT, TLS, h2), so that it works
 * whether or not a relay is running, and tests exactly what the relay would do with a request.
 * Authorization: a file holding a provider token ({@code bearer <jwt>} or the bare JWT), or a
 * token signed here from an APNS signing key ({@code AuthKey_KEYID.p8}), or neither when the
 * config has an APNS client certificate (certificate-based auth).
 *
 * @param token             the device token (hex)
 * @param topic             {@code apns-topic}, the app's bundle id
 * @param authority         the route to send to (e.g. {@code api.sandbox.push.apple.com} for a
 *                          development token); null: the first APNS route
 * @param pushType          {@code apns-push-type}
 * @param payload           the JSON payload
 * @param authorizationFile a file whose first line is the provider token; or null
 * @param jwtKey            the APNS signing key (PKCS#8 PEM, {@code .p8}); or null
 * @param keyId             its key id (with {@code jwtKey})
 * @param teamId            the team id (with {@code jwtKey})
 */
public record SendTest(String token, String topic, String authority, String pushType, String payload,
                       Path authorizationFile, Path jwtKey, String keyId, String teamId) {
    public static final String DEFAULT_PUSH_TYPE = "alert";
    public static final String DEFAULT_PAYLOAD = "{\"aps\":{\"alert\":\"push-relay check: test notification\"}}";
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{1,200}");

    public SendTest {
        if (token == null || !HEX.matcher(token).matches()) {
            throw new IllegalArgumentException("--token: a device token is hex digits (64 for APNS), got "
                    + (token == null ? "nothing" : "'" + token + "'"));
        }
        token = token.toLowerCase(Locale.ROOT);
        if (topic == null || topic.isBlank()) {
            throw new IllegalArgumentException("--topic: the app's bundle id (apns-topic) is required");
        }
        pushType = pushType == null || pushType.isBlank() ? DEFAULT_PUSH_TYPE : pushType;
        payload = payload == null ? DEFAULT_PAYLOAD : payload;
        boolean anyJwt = jwtKey != null || keyId != null || teamId != null;
        if (anyJwt && (jwtKey == null || keyId == null || teamId == null)) {
            throw new IllegalArgumentException("--jwt-key, --key-id and --team-id go together");
        }
        if (anyJwt && authorizationFile != null) {
            throw new IllegalArgumentException("give --authorization-file or --jwt-key, not both");
        }
    }

    /** Only the first 6 hex digits, as logs show device tokens. */
    public String maskedToken() {
        return token.length() <= 6 ? token : token.substring(0, 6) + "…";
    }
}
