package io.pushrelay.core.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.util.AsciiString;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * FCM HTTP v1 and Google's OAuth2 token endpoint, answering in their shapes:
 * {@code POST /v1/projects/<id>/messages:send} with {@code authorization: Bearer <token>} and
 * {@code {"message":{...}}} gets {@code {"name":"projects/<id>/messages/<n>"}}, errors are
 * {@code {"error":{"code":...,"message":"...","status":"..."}}} (with an FCM error code in
 * {@code details} where FCM gives one); {@code POST /token} with
 * {@code grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>} gets
 * {@code {"access_token":"...","expires_in":3599,"token_type":"Bearer"}}, errors
 * {@code {"error":"invalid_grant","error_description":"..."}}. The assertion's claims are
 * checked (iss, aud, iat, exp, one hour at most); its signature is not (the simulator holds no
 * service-account keys).
 *
 * <p>Thread-safe.
 */
final class FcmService implements SimService {
    static final String GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    static final int TOKEN_LIFETIME_SECONDS = 3599;
    private static final Pattern SEND_PATH = Pattern.compile("/v1/projects/([^/?]+)/messages:send");
    private static final AsciiString AUTHORIZATION = AsciiString.cached("authorization");
    private static final AsciiString CONTENT_TYPE = AsciiString.cached("content-type");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CLOCK_SKEW_SECONDS = 300;
    private static final String CREDENTIALS_HINT = " Expected OAuth 2 access token, login cookie or other valid "
            + "authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

    private final FcmSimConfig config;
    private final LongAdder accepted = new LongAdder();
    private final LongAdder tokensIssued = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> rejected = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LongAdder> byProtocol = new ConcurrentHashMap<>();
    /** Issued access token to its expiry, epoch seconds. */
    private final ConcurrentHashMap<String, Long> issued = new ConcurrentHashMap<>();
    private final AtomicLong messageIds = new AtomicLong(System.currentTimeMillis() * 1000);
    private final ArrayDeque<AcceptedMessage> recorded = new ArrayDeque<>();

    FcmService(FcmSimConfig config) {
        this.config = config;
    }

    @Override
    public SimResponse handle(SimRequest request, SimConnection connection) {
        byProtocol.computeIfAbsent(request.protocol(), p -> new LongAdder()).increment();
        String path = request.path();
        int query = path.indexOf('?');
        String bare = query < 0 ? path : path.substring(0, query);
        if (bare.equals("/token")) {
            return "POST".equals(request.method()) ? token(request) : notFound();
        }
        Matcher send = SEND_PATH.matcher(bare);
        if (send.matches() && "POST".equals(request.method())) {
            return send(request, send.group(1), connection);
        }
        return notFound();
    }

    private SimResponse send(SimRequest request, String projectId, SimConnection connection) {
        CharSequence authorization = request.header(AUTHORIZATION);
        if (authorization == null || authorization.length() == 0) {
            return error(401, "UNAUTHENTICATED", "Request is missing required authentication credential."
                    + CREDENTIALS_HINT, null);
        }
        String value = authorization.toString();
        String bearer = value.regionMatches(true, 0, "Bearer ", 0, 7) ? value.substring(7).trim() : "";
        if (bearer.isEmpty() || (config.requireIssuedTokens() && !isIssued(bearer))) {
            return error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials." + CREDENTIALS_HINT,
                    null);
        }
        if (!config.projectIds().isEmpty() && !config.projectIds().contains(projectId)) {
            return error(403, "PERMISSION_DENIED", "Permission 'cloudmessaging.messages.create' denied on resource "
                    + "'//cloudresourcemanager.googleapis.com/projects/" + projectId + "' (or it may not exist).",
                    null);
        }
        if (request.bodyLength() > FcmSimConfig.MAX_BODY) {
            return error(413, "INVALID_ARGUMENT", "Request payload size exceeds the limit: " + FcmSimConfig.MAX_BODY
                    + " bytes.", null);
        }
        JsonNode body;
        try {
            body = JSON.readTree(request.body());
        } catch (java.io.IOException e) {
            return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unexpected token.", null);
        }
        JsonNode message = body == null ? null : body.get("message");
        if (message == null || !message.isObject()) {
            return error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unknown name or missing field "
                    + "\"message\".", null);
        }
        List<String> targets = new ArrayList<>();
        for (String field : List.of("token", "topic", "condition")) {
            if (message.hasNonNull(field)) {
                targets.add(field);
            }
        }
        if (targets.isEmpty()) {
            return error(400, "INVALID_ARGUMENT", "Recipient of the message is not set.", "INVALID_ARGUMENT");
        }
        if (targets.size() > 1) {
            return error(400, "INVALID_ARGUMENT", "Invalid value at 'message' (oneof), oneof field 'target' is "
                    + "already set. Cannot set '" + targets.get(1) + "'", null);
        }
        String target = message.get(targets.get(0)).asText();
        if (targets.get(0).equals("token")) {
            if (target.isEmpty() || config.invalidTokens().contains(target)) {
                return error(400, "INVALID_ARGUMENT", "The registration token is not a valid FCM registration token",
                        "INVALID_ARGUMENT");
            }
            if (config.unregisteredTokens().contains(target)) {
                return error(404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED");
            }
        }
        boolean validateOnly = body.path("validate_only").asBoolean(false);
        String name = "projects/" + projectId + "/messages/"
                + (validateOnly ? "fake_message_id" : "0:" + messageIds.incrementAndGet());
        if (!validateOnly) {
            accepted.increment();
            if (config.recordLimit() > 0) {
                record(new AcceptedMessage(projectId, name, message.toString(), target, request.protocol(),
                        connection.id, Instant.now()));
            }
        }
        ObjectNode answer = JSON.createObjectNode().put("name", name);
        return SimResponse.json(200, new DefaultHttp2Headers(false), answer.toString());
    }

    private SimResponse token(SimRequest request) {
        CharSequence contentType = request.header(CONTENT_TYPE);
        Map<String, String> form;
        if (contentType != null
                && contentType.toString().toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
            form = new HashMap<>();
            try {
                JSON.readTree(request.body()).properties().forEach(e -> form.put(e.getKey(), e.getValue().asText()));
            } catch (java.io.IOException | RuntimeException e) {
                return oauthError("invalid_request", "Invalid JSON body.");
            }
        } else {
            form = parseForm(new String(request.body(), StandardCharsets.UTF_8));
        }
        String grantType = form.get("grant_type");
        if (grantType == null) {
            return oauthError("invalid_request", "Missing required parameter: grant_type");
        }
        if (!GRANT_TYPE.equals(grantType)) {
            return oauthError("unsupported_grant_type", "Invalid grant_type: " + grantType);
        }
        String assertion = form.get("assertion");
        if (assertion == null || assertion.isEmpty()) {
            return oauthError("invalid_request", "Missing required parameter: assertion");
        }
        String refusal = checkAssertion(assertion);
        if (refusal != null) {
            return oauthError("invalid_grant", refusal);
        }
        byte[] random = new byte[24];
        ThreadLocalRandom.current().nextBytes(random);
        String accessToken = "ya29.sim-" + HexFormat.of().formatHex(random);
        issued.put(accessToken, Instant.now().getEpochSecond() + TOKEN_LIFETIME_SECONDS);
        tokensIssued.increment();
        ObjectNode answer = JSON.createObjectNode().put("access_token", accessToken)
                .put("expires_in", TOKEN_LIFETIME_SECONDS).put("token_type", "Bearer");
        return SimResponse.json(200, new DefaultHttp2Headers(false), answer.toString());
    }

    /** Null when the assertion's claims are acceptable, else Google's error description. */
    private static String checkAssertion(String assertion) {
        String[] parts = assertion.split("\\.", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
            return "Invalid JWT: not a compact JWS.";
        }
        JsonNode claims;
        try {
            JsonNode header = JSON.readTree(java.util.Base64.getUrlDecoder().decode(parts[0]));
            claims = JSON.readTree(java.util.Base64.getUrlDecoder().decode(parts[1]));
            if (header == null || !header.isObject() || claims == null || !claims.isObject()) {
                return "Invalid JWT: header and claims must be JSON objects.";
            }
        } catch (IllegalArgumentException | java.io.IOException e) {
            return "Invalid JWT: header and claims must be base64url JSON.";
        }
        if (!claims.hasNonNull("iss") || claims.path("iss").asText().isEmpty()) {
            return "Invalid JWT: no iss claim.";
        }
        if (!claims.path("aud").asText("").endsWith("/token")) {
            return "Invalid JWT: aud must be the token endpoint.";
        }
        long now = Instant.now().getEpochSecond();
        JsonNode iat = claims.path("iat");
        JsonNode exp = claims.path("exp");
        if (!iat.canConvertToLong() || !exp.canConvertToLong() || exp.asLong() - iat.asLong() > 3600
                || exp.asLong() < now - CLOCK_SKEW_SECONDS || iat.asLong() > now + CLOCK_SKEW_SECONDS) {
            return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                    + "Check your iat and exp values in the JWT claim.";
        }
        return null;
    }

    private boolean isIssued(String token) {
        Long expiry = issued.get(token);
        return expiry != null && expiry > Instant.now().getEpochSecond();
    }

    private SimResponse notFound() {
        return error(404, "NOT_FOUND", "Method not found.", null);
    }

    /** Google's error shape; {@code fcmCode} adds FCM's {@code details} entry. */
    private SimResponse error(int code, String status, String message, String fcmCode) {
        count(status);
        ObjectNode error = JSON.createObjectNode();
        ObjectNode inner = error.putObject("error").put("code", code).put("message", message).put("status", status);
        if (fcmCode != null) {
            inner.putArray("details").addObject()
                    .put("@type", "type.googleapis.com/google.firebase.fcm.v1.FcmError")
                    .put("errorCode", fcmCode);
        }
        return SimResponse.json(code, new DefaultHttp2Headers(false), error.toString());
    }

    private SimResponse oauthError(String error, String description) {
        count(error);
        ObjectNode body = JSON.createObjectNode().put("error", error).put("error_description", description);
        return SimResponse.json(400, new DefaultHttp2Headers(false), body.toString());
    }

    private void count(String status) {
        rejected.computeIfAbsent(status, s -> new LongAdder()).increment();
    }

    private void record(AcceptedMessage message) {
        synchronized (recorded) {
            recorded.addLast(message);
            while (recorded.size() > config.recordLimit()) {
                recorded.removeFirst();
            }
        }
    }

    private static Map<String, String> parseForm(String body) {
        Map<String, String> form = new HashMap<>();
        for (String pair : body.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                form.putIfAbsent(URLDecoder.decode(key, StandardCharsets.UTF_8),
                        URLDecoder.decode(value, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                form.putIfAbsent(key, value);
            }
        }
        return form;
    }

    long acceptedCount() {
        return accepted.sum();
    }

    long tokensIssued() {
        return tokensIssued.sum();
    }

    Map<String, Long> rejectedByStatus() {
        Map<String, Long> out = new HashMap<>();
        rejected.forEach((s, n) -> out.put(s, n.sum()));
        return out;
    }

    Map<String, Long> requestsByProtocol() {
        Map<String, Long> out = new HashMap<>();
        byProtocol.forEach((p, n) -> out.put(p, n.sum()));
        return out;
    }

    List<AcceptedMessage> recorded() {
        synchronized (recorded) {
            return new ArrayList<>(recorded);
        }
    }
}
