package io.pushrelay.core.listener;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pushrelay.core.testing.ApnsLikeUpstream;

/** Checks on what the upstream saw. */
final class RelayFixtureAsserts {
    private RelayFixtureAsserts() {
    }

    static void seenOnce(RelayFixture relay, String method, String authority, String path, String body) {
        assertEquals(1, relay.upstream.calls());
        ApnsLikeUpstream.Seen seen = relay.upstream.seen().get(0);
        assertEquals(method, seen.method());
        assertEquals(authority, seen.authority());
        assertEquals(path, seen.path());
        assertEquals(body, seen.body());
        assertEquals("https", seen.scheme());
        assertEquals("com.example", seen.headers().get("apns-topic"));
    }
}
