package io.pushrelay.core.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;

/**
 * An APNS provider token (a JWT, RFC 7519), as APNS reads it: header {@code {"alg":"ES256",
 * "kid":...}}, claims {@code {"iss": team id, "iat": seconds}}, an ECDSA P-256 SHA-256
 * signature. The signature may be JOSE's 64-byte R||S or DER (Pushy signs DER, and APNS
 * accepts both). Immutable.
 *
 * @param keyId         {@code kid}
 * @param teamId        {@code iss}
 * @param issuedAt      {@code iat}, seconds since the epoch
 * @param signingInput  {@code base64url(header) "." base64url(claims)}, ASCII
 * @param signature     the decoded signature bytes
 */
record ProviderToken(String keyId, String teamId, long issuedAt, byte[] signingInput, byte[] signature) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Decoder B64 = Base64.getUrlDecoder();

    /** Thrown for a token APNS would call {@code InvalidProviderToken}; the message says why. */
    static final class InvalidException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidException(String message) {
            super(message, null, false, false);
        }
    }

    /** Parses {@code authorization: bearer <jwt>}'s JWT; checks shape and claims, not the signature. */
    static ProviderToken parse(String jwt) throws InvalidException {
        int first = jwt.indexOf('.');
        int second = first < 0 ? -1 : jwt.indexOf('.', first + 1);
        if (first <= 0 || second <= first + 1 || second == jwt.length() - 1 || jwt.indexOf('.', second + 1) >= 0) {
            throw new InvalidException("not three dot-separated parts");
        }
        JsonNode header = json(jwt.substring(0, first), "header");
        JsonNode claims = json(jwt.substring(first + 1, second), "claims");
        if (!"ES256".equals(header.path("alg").asText(null))) {
            throw new InvalidException("alg is not ES256");
        }
        String kid = header.path("kid").asText(null);
        if (kid == null || kid.isEmpty()) {
            throw new InvalidException("no kid");
        }
        String iss = claims.path("iss").asText(null);
        if (iss == null || iss.isEmpty()) {
            throw new InvalidException("no iss");
        }
        JsonNode iat = claims.path("iat");
        if (!iat.canConvertToLong()) {
            throw new InvalidException("no numeric iat");
        }
        byte[] signature;
        try {
            signature = B64.decode(jwt.substring(second + 1));
        } catch (IllegalArgumentException e) {
            throw new InvalidException("signature is not base64url");
        }
        return new ProviderToken(kid, iss, iat.asLong(), jwt.substring(0, second).getBytes(StandardCharsets.US_ASCII),
                signature);
    }

    /** Whether {@code key} made the signature (ES256: SHA-256 with ECDSA, R||S or DER). */
    boolean verify(PublicKey key) {
        try {
            Signature verifier = Signature.getInstance(
                    signature.length == 64 ? "SHA256withECDSAinP1363Format" : "SHA256withECDSA");
            verifier.initVerify(key);
            verifier.update(signingInput);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static JsonNode json(String part, String what) throws InvalidException {
        try {
            JsonNode node = JSON.readTree(B64.decode(part));
            if (node == null || !node.isObject()) {
                throw new InvalidException(what + " is not a JSON object");
            }
            return node;
        } catch (IllegalArgumentException e) {
            throw new InvalidException(what + " is not base64url");
        } catch (java.io.IOException e) {
            throw new InvalidException(what + " is not JSON");
        }
    }
}
