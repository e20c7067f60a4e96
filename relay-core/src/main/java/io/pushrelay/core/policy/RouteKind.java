package io.pushrelay.core.policy;

import java.util.Set;
import java.util.regex.Pattern;

/** The kinds of upstream a route may point at, each with the requests it lets through. */
public enum RouteKind {
    /** APNS: {@code POST /3/device/<hex token>}; payload at most 4096 bytes, 5120 for VoIP. */
    // \p{XDigit} is exactly [0-9a-fA-F] (ASCII), matched with one table lookup per character instead
    // of a union of three ranges: the path check runs on every request.
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

    public int maxBodyBytes() {
        return maxBodyBytes;
    }
}
