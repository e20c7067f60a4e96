package io.pushrelay.core.sim;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import javax.security.auth.x500.X500Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * APNS's answers (Apple's "Handling notification responses from APNs"): {@code 200} with
 * {@code apns-id} and {@code apns-unique-id}, or an error status, {@code apns-id} and
 * {@code {"reason":"..."}}. Only reasons APNS documents are used; the payload's JSON is not
 * checked, since APNS documents no reason for malformed JSON. Checks, in order: method, path,
 * duplicate {@code apns-*} headers, {@code apns-id}, provider token (token auth), topic,
 * collapse id, priority, push type, expiration, device token, payload size, unregistered.
 *
 * <p>Thread-safe: counters are adders; per-connection token state lives in
 * {@link SimConnection}, touched only on that connection's event loop.
 */
final class ApnsService implements SimService {
    private static final Logger LOG = LoggerFactory.getLogger(ApnsService.class);

    static final AsciiString APNS_ID = AsciiString.cached("apns-id");
    static final AsciiString APNS_UNIQUE_ID = AsciiString.cached("apns-unique-id");
    static final AsciiString APNS_TOPIC = AsciiString.cached("apns-topic");
    static final AsciiString APNS_PUSH_TYPE = AsciiString.cached("apns-push-type");
    static final AsciiString APNS_PRIORITY = AsciiString.cached("apns-priority");
    static final AsciiString APNS_EXPIRATION = AsciiString.cached("apns-expiration");
    static final AsciiString APNS_COLLAPSE_ID = AsciiString.cached("apns-collapse-id");
    static final AsciiString AUTHORIZATION = AsciiString.cached("authorization");
    private static final AsciiString[] APNS_HEADERS =
            {APNS_ID, APNS_TOPIC, APNS_PUSH_TYPE, APNS_PRIORITY, APNS_EXPIRATION, APNS_COLLAPSE_ID, AUTHORIZATION};
    private static final String DEVICE_PATH = "/3/device/";
    /** Provider tokens older than this are {@code ExpiredProviderToken} (APNS: one hour). */
    static final long TOKEN_LIFETIME_SECONDS = 3600;
    static final Set<String> PUSH_TYPES = Set.of("alert", "background", "location", "voip", "complication",
            "fileprovider", "mdm", "liveactivity", "pushtotalk", "widgets", "controls");
    private static final String UID_OID = "0.9.2342.19200300.100.1.1";

    private final ApnsSimConfig config;
    private final Map<String, ApnsSimConfig.TokenKey> keysById = new HashMap<>();
    private final LongAdder accepted = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> rejected = new ConcurrentHashMap<>();
    private final ArrayDeque<AcceptedNotification> recorded = new ArrayDeque<>();

    ApnsService(ApnsSimConfig config) {
        this.config = config;
        for (ApnsSimConfig.TokenKey key : config.tokenKeys()) {
            keysById.put(key.keyId(), key);
        }
    }

    @Override
    public SimResponse handle(SimRequest request, SimConnection connection) {
        Http2Headers headers = request.headers();
        CharSequence apnsIdHeader = headers.get(APNS_ID);
        boolean idOk = apnsIdHeader == null || isUuid(apnsIdHeader);
        String apnsId = apnsIdHeader != null && idOk ? apnsIdHeader.toString() : randomUuid();

        if (!"POST".equals(request.method())) {
            return reject(405, "MethodNotAllowed", apnsId);
        }
        String path = request.path();
        if (!path.startsWith(DEVICE_PATH)) {
            return reject(404, "BadPath", apnsId);
        }
        String token = path.substring(DEVICE_PATH.length());
        if (token.isEmpty()) {
            return reject(400, "MissingDeviceToken", apnsId);
        }
        if (hasDuplicateApnsHeaders(headers)) {
            return reject(400, "DuplicateHeaders", apnsId);
        }
        if (!idOk) {
            return reject(400, "BadMessageId", apnsId);
        }
        if (config.tokenAuth()) {
            String refusal = checkProviderToken(headers.get(AUTHORIZATION), connection);
            if (refusal != null) {
                return reject(403, refusal, apnsId);
            }
        }
        CharSequence topic = headers.get(APNS_TOPIC);
        if ((topic == null || topic.length() == 0) && certificateTopic(connection) == null) {
            return reject(400, "MissingTopic", apnsId);
        }
        CharSequence collapseId = headers.get(APNS_COLLAPSE_ID);
        if (collapseId != null && utf8Length(collapseId) > 64) {
            return reject(400, "BadCollapseId", apnsId);
        }
        CharSequence priority = headers.get(APNS_PRIORITY);
        if (priority != null && !(AsciiString.contentEquals(priority, "10") || AsciiString.contentEquals(priority, "5")
                || AsciiString.contentEquals(priority, "1"))) {
            return reject(400, "BadPriority", apnsId);
        }
        CharSequence pushType = headers.get(APNS_PUSH_TYPE);
        if (pushType != null && !PUSH_TYPES.contains(pushType.toString())) {
            return reject(400, "InvalidPushType", apnsId);
        }
        CharSequence expiration = headers.get(APNS_EXPIRATION);
        if (expiration != null && !isDigits(expiration)) {
            return reject(400, "BadExpirationDate", apnsId);
        }
        if (!isDeviceToken(token)) {
            return reject(400, "BadDeviceToken", apnsId);
        }
        String lowerToken = config.badTokens().isEmpty() && config.unregisteredTokens().isEmpty()
                ? token : token.toLowerCase(Locale.ROOT);
        if (config.badTokens().contains(lowerToken)) {
            return reject(400, "BadDeviceToken", apnsId);
        }
        if (request.bodyLength() == 0) {
            return reject(400, "PayloadEmpty", apnsId);
        }
        boolean voip = pushType != null && AsciiString.contentEquals(pushType, "voip");
        if (request.bodyLength() > (voip ? ApnsSimConfig.MAX_VOIP_PAYLOAD : ApnsSimConfig.MAX_PAYLOAD)) {
            return reject(413, "PayloadTooLarge", apnsId);
        }
        Instant unregisteredSince = config.unregisteredTokens().get(lowerToken);
        if (unregisteredSince != null) {
            count("Unregistered");
            return SimResponse.json(410, errorHeaders(apnsId),
                    "{\"reason\":\"Unregistered\",\"timestamp\":" + unregisteredSince.toEpochMilli() + "}");
        }
        accepted.increment();
        if (config.recordLimit() > 0) {
            record(request, token, apnsId, connection);
        }
        Http2Headers answer = new DefaultHttp2Headers(false);
        answer.add(APNS_ID, apnsId);
        answer.add(APNS_UNIQUE_ID, randomUuid());
        return new SimResponse(200, answer, SimResponse.EMPTY);
    }

    /** Null when the token is good for this connection, else the APNS reason. Event loop only. */
    private String checkProviderToken(CharSequence authorization, SimConnection connection) {
        if (authorization == null || authorization.length() == 0) {
            return "MissingProviderToken";
        }
        ProviderToken token;
        String refusal;
        if (connection.lastAuthorization != null && AsciiString.contentEquals(authorization,
                connection.lastAuthorization)) {
            token = connection.lastToken;
            refusal = connection.lastTokenRejection;
        } else {
            String value = authorization.toString();
            token = null;
            refusal = null;
            if (!value.regionMatches(true, 0, "bearer ", 0, 7) || value.substring(7).isBlank()) {
                refusal = value.trim().equalsIgnoreCase("bearer") ? "MissingProviderToken" : "InvalidProviderToken";
            } else {
                try {
                    token = ProviderToken.parse(value.substring(7).trim());
                    refusal = verify(token, connection);
                } catch (ProviderToken.InvalidException e) {
                    LOG.debug("apns {}: invalid provider token: {}", connection.id, e.getMessage());
                    refusal = "InvalidProviderToken";
                }
            }
            connection.lastAuthorization = value;
            connection.lastToken = token;
            connection.lastTokenRejection = refusal;
        }
        if (refusal != null) {
            return refusal;
        }
        if (token.issuedAt() < System.currentTimeMillis() / 1000 - TOKEN_LIFETIME_SECONDS) {
            return "ExpiredProviderToken";
        }
        String team = connection.team;
        if (team == null) {
            connection.team = token.teamId();
        } else if (!team.equals(token.teamId())) {
            // APNS: one team per connection.
            return "InvalidProviderToken";
        }
        return null;
    }

    private String verify(ProviderToken token, SimConnection connection) {
        if (keysById.isEmpty()) {
            return null;
        }
        ApnsSimConfig.TokenKey key = keysById.get(token.keyId());
        if (key == null) {
            LOG.debug("apns {}: provider token with unknown key id {}", connection.id, token.keyId());
            return "InvalidProviderToken";
        }
        if (!key.teamId().equals(token.teamId())) {
            LOG.debug("apns {}: provider token key {} belongs to team {}, not {}", connection.id, token.keyId(),
                    key.teamId(), token.teamId());
            return "InvalidProviderToken";
        }
        if (!token.verify(key.key())) {
            LOG.debug("apns {}: provider token signature does not verify with key {}", connection.id, token.keyId());
            return "InvalidProviderToken";
        }
        return null;
    }

    /** The topic a client certificate stands for, or null without a certificate. */
    private String certificateTopic(SimConnection connection) {
        X509Certificate certificate = connection.clientCertificate;
        if (certificate == null) {
            return null;
        }
        if (config.certificateTopic() != null) {
            return config.certificateTopic();
        }
        String dn = certificate.getSubjectX500Principal().getName(X500Principal.RFC2253, Map.of(UID_OID, "UID"));
        for (String part : dn.split(",")) {
            if (part.startsWith("UID=")) {
                return part.substring(4);
            }
        }
        return null;
    }

    private SimResponse reject(int status, String reason, String apnsId) {
        count(reason);
        return SimResponse.json(status, errorHeaders(apnsId), "{\"reason\":\"" + reason + "\"}");
    }

    private void count(String reason) {
        rejected.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    private static Http2Headers errorHeaders(String apnsId) {
        Http2Headers headers = new DefaultHttp2Headers(false);
        headers.add(APNS_ID, apnsId);
        return headers;
    }

    private void record(SimRequest request, String token, String apnsId, SimConnection connection) {
        Map<String, String> headers = new HashMap<>();
        for (Map.Entry<CharSequence, CharSequence> header : request.headers()) {
            CharSequence name = header.getKey();
            if (name.length() > 0 && name.charAt(0) != ':'
                    && !AsciiString.contentEqualsIgnoreCase(name, AUTHORIZATION)) {
                headers.put(name.toString(), header.getValue().toString());
            }
        }
        AcceptedNotification notification = new AcceptedNotification(token, apnsId, headers, request.body(),
                connection.team, connection.id, connection.protocol, Instant.now());
        synchronized (recorded) {
            recorded.addLast(notification);
            while (recorded.size() > config.recordLimit()) {
                recorded.removeFirst();
            }
        }
    }

    long acceptedCount() {
        return accepted.sum();
    }

    Map<String, Long> rejectedByReason() {
        Map<String, Long> out = new HashMap<>();
        rejected.forEach((reason, n) -> out.put(reason, n.sum()));
        return out;
    }

    List<AcceptedNotification> recorded() {
        synchronized (recorded) {
            return new ArrayList<>(recorded);
        }
    }

    void clearRecorded() {
        synchronized (recorded) {
            recorded.clear();
        }
    }

    static boolean hasDuplicateApnsHeaders(Http2Headers headers) {
        int seen = 0;
        for (Map.Entry<CharSequence, CharSequence> header : headers) {
            CharSequence name = header.getKey();
            if (name.length() < 7 || name.charAt(0) == ':') {
                continue;
            }
            for (int i = 0; i < APNS_HEADERS.length; i++) {
                if (AsciiString.contentEqualsIgnoreCase(name, APNS_HEADERS[i])) {
                    int bit = 1 << i;
                    if ((seen & bit) != 0) {
                        return true;
                    }
                    seen |= bit;
                    break;
                }
            }
        }
        return false;
    }

    /** 64 to 200 hexadecimal characters (APNS tokens are 64 today; longer ones are announced). */
    static boolean isDeviceToken(CharSequence token) {
        int n = token.length();
        if (n < 64 || n > 200) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (Character.digit(token.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** The canonical 8-4-4-4-12 hexadecimal form, either case. */
    static boolean isUuid(CharSequence s) {
        if (s.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') {
                    return false;
                }
            } else if (Character.digit(c, 16) < 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean isDigits(CharSequence s) {
        if (s.length() == 0 || s.length() > 19) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static int utf8Length(CharSequence s) {
        return s instanceof AsciiString a ? a.length()
                : s.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    /** A version-4 UUID from a fast, non-cryptographic source: these ids need to be unique, not secret. */
    static String randomUuid() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long most = (random.nextLong() & ~0xF000L) | 0x4000L;
        long least = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(most, least).toString();
    }
}
