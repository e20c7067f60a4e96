package io.pushrelay.core.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Base64;

/**
 * Reads the team of an APNS provider token: the {@code iss} claim of the JWT in
 * {@code authorization: bearer <jwt>}. Only the payload is base64url-decoded; the signature is
 * not checked (APNS does that). Stateless, thread-safe.
 */
final class TeamIds {
    /** The identity of a request without a bearer token. */
    static final String NONE = "";
    /** The identity of bearer tokens whose team cannot be read: kept apart from every real team. */
    static final String UNREADABLE = "token:unreadable";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TeamIds() {
    }

    /** {@code team:<iss>}, {@link #UNREADABLE}, or {@link #NONE} without a bearer token. */
    static String identityOf(CharSequence authorization) {
        if (authorization == null) {
            return NONE;
        }
        String value = authorization.toString().trim();
        if (value.length() < 7 || !value.regionMatches(true, 0, "bearer ", 0, 7)) {
            return NONE;
        }
        String team = teamOf(value.substring(7).trim());
        return team == null ? UNREADABLE : "team:" + team;
    }

    /** The {@code iss} claim of a compact JWT, or null when it cannot be read. */
    static String teamOf(String jwt) {
        int first = jwt.indexOf('.');
        int second = first < 0 ? -1 : jwt.indexOf('.', first + 1);
        if (first < 0 || second < 0) {
            return null;
        }
        try {
            byte[] payload = Base64.getUrlDecoder().decode(jwt.substring(first + 1, second));
            JsonNode claims = JSON.readTree(payload);
            JsonNode iss = claims == null ? null : claims.get("iss");
            if (iss == null || !iss.isTextual() || iss.asText().isEmpty() || iss.asText().length() > 64) {
                return null;
            }
            return iss.asText();
        } catch (IllegalArgumentException | IOException e) {
            return null;
        }
    }
}
