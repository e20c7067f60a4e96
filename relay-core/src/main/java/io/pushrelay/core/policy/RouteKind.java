package io.pushrelay.core.policy;

import java.util.Set;
import java.util.regex.Pattern;

/** The kinds of upstream a route may point at, each with the requests it lets through. */
public enum RouteKind {
    /** APNS: {@code POST /3/device/<hex token>}; payload at most 4096 bytes, 5120 for VoIP. */
    APNS(Set.of("POST"), Pattern.compile("/3/device/\\p{XDigit}{1,200}"), 5120),
    /** FCM HTTP v1: {@code POST /v1/projects/<id>/messages:send}. */
    FCM(Set.of("POST"), Pattern.compile("/v1/projects/[A-Za-z0-9._-]{1,128}/messages:send"), 65536),
    /** Google OAuth2 token endpoint: {@code POST /token}. */
    OAUTH(Set.of("POST"), Pattern.compile("/token"), 16384);

    private final Set<String> methods;
    private final Pattern path;
    private final int maxBodyBytes;

    RouteKind(Set<String> methods, Pattern path, int maxBodyBytes) {
        this.methods = methods;
        this.path = path;
        this.maxBodyBytes = maxBodyBytes;
    }

    public Set<String> methods() {
        return methods;
    }

    /** Matched against the path without its query. */
    public Pattern path() {
        return path;
    }

    /**
     * Whether {@code path}'s first {@code end} characters whole-match {@link #path()}. The APNS
     * pattern, checked on every notification, is matched by hand (same answer, no matcher);
     * the others by their pattern.
     */
    public boolean matchesPath(String path, int end) {
        if (this != APNS) {
            return this.path.matcher(path).region(0, end).matches();
        }
        int prefix = APNS_PREFIX.length();
        if (end <= prefix || end - prefix > APNS_MAX_TOKEN || !path.startsWith(APNS_PREFIX)) {
            return false;
        }
        for (int i = prefix; i < end; i++) {
            char c = path.charAt(i);
            char lower = (char) (c | 0x20);
            if (!(c >= '0' && c <= '9') && !(lower >= 'a' && lower <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static final String APNS_PREFIX = "/3/device/";
    private static final int APNS_MAX_TOKEN = 200;

    public int maxBodyBytes() {
        return maxBodyBytes;
    }
}
