package io.pushrelay.core.observe.logging;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/** Realistic secrets for the redaction tests, and the parts of them that must never be written. */
final class Secrets {
    /** An APNS device token: 32 bytes as 64 hex digits. */
    static final String TOKEN = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
    /** What may be seen of {@link #TOKEN}. */
    static final String TOKEN_SHOWN = "a1b2c3…";
    /** An APNS provider JWT (ES256 header, claims, 64-byte signature). */
    static final String JWT = b64("{\"alg\":\"ES256\",\"kid\":\"ABC123DEFG\"}") + "."
            + b64("{\"iss\":\"DEF123GHIJ\",\"iat\":1764126721}") + "."
            + Base64.getUrlEncoder().withoutPadding().encodeToString(signature());
    /** An FCM OAuth access token (opaque, not a JWT). */
    static final String OAUTH = "ya29.a0AfH6SMBx3kLq9ZbQ7rT2vN8pW4yXcD1eF5gH6iJ7kL8mN9oP0qR";
    /** {@code user:secret-proxy-password}, the corporate proxy's basic credentials. */
    static final String BASIC = Base64.getEncoder().encodeToString("user:secret-proxy-password".getBytes(StandardCharsets.US_ASCII));

    private Secrets() {
    }

    /** Substrings whose presence in any output means a leak. */
    static List<String> forbidden() {
        String[] jwtParts = JWT.split("\\.");
        return List.of(TOKEN.substring(6, 20), TOKEN.substring(40), jwtParts[0].substring(3), jwtParts[1],
                jwtParts[2], OAUTH.substring(5), BASIC);
    }

    /** Asserts that {@code output} holds none of {@link #forbidden()}. */
    static void assertNoLeak(String output) {
        for (String secret : forbidden()) {
            if (output.contains(secret)) {
                throw new AssertionError("leaked '" + secret + "' in:\n" + output);
            }
        }
    }

    private static String b64(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] signature() {
        byte[] sig = new byte[64];
        for (int i = 0; i < sig.length; i++) {
            sig[i] = (byte) (i * 37 + 11);
        }
        return sig;
    }
}
