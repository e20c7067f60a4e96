package io.pushrelay.core.check;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * APNS provider tokens (token-based auth): a JWT with header {@code {"alg":"ES256","kid":KEY_ID}},
 * claims {@code {"iss":TEAM_ID,"iat":SECONDS}}, signed with the team's P-256 signing key
 * ({@code AuthKey_KEYID.p8}) as JWS requires (RFC 7518 3.4: the 64-byte R||S, not DER).
 * APNS accepts a token for an hour. Stateless.
 */
final class ProviderTokens {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private ProviderTokens() {
    }

    /** A signed token, without the {@code bearer } prefix. */
    static String sign(PrivateKey key, String keyId, String teamId, Instant issuedAt) {
        if (!(key instanceof ECPrivateKey)) {
            throw new IllegalArgumentException("an APNS signing key is an EC P-256 key, got " + key.getAlgorithm());
        }
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("alg", "ES256");
        header.put("kid", keyId);
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", teamId);
        claims.put("iat", issuedAt.getEpochSecond());
        try {
            String signingInput = B64.encodeToString(JSON.writeValueAsBytes(header)) + "."
                    + B64.encodeToString(JSON.writeValueAsBytes(claims));
            Signature signer = Signature.getInstance("SHA256withECDSAinP1363Format");
            signer.initSign(key);
            signer.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + B64.encodeToString(signer.sign());
        } catch (JsonProcessingException | GeneralSecurityException e) {
            throw new IllegalArgumentException("sign the provider token: " + e.getMessage(), e);
        }
    }
}
