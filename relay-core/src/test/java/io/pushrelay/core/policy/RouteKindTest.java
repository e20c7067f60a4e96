package io.pushrelay.core.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The hand matcher for APNS paths gives the pattern's answer. */
class RouteKindTest {
    @Test
    void apnsMatcherShouldAgreeWithThePattern() {
        List<String> paths = List.of("/3/device/", "/3/device/a", "/3/device/0123456789abcdefABCDEF",
                "/3/device/" + "f".repeat(200), "/3/device/" + "f".repeat(201), "/3/device/abg", "/3/device/ab/",
                "/3/device/ab cd", "/3/device/\u0661\u0662", "/3/device/\uff21", "/3/Device/ab", "/3/devices/ab",
                "/2/device/ab", "3/device/ab", "", "/", "/3/device/`", "/3/device/@", "/3/device/G", "/3/device/:",
                "/3/device/ab\u0000");
        for (String path : paths) {
            boolean expected = RouteKind.APNS.path().matcher(path).matches();
            assertEquals(expected, RouteKind.APNS.matchesPath(path, path.length()), path);
            Route route = Route.toItself(RouteKind.APNS, "api.push.apple.com");
            assertEquals(expected, route.allowsPath(path + "?q=1"), path + "?q=1");
        }
    }

    @Test
    void otherKindsShouldUseTheirPattern() {
        assertEquals(true, RouteKind.FCM.matchesPath("/v1/projects/p-1/messages:send", 30));
        assertEquals(false, RouteKind.FCM.matchesPath("/v1/projects/p-1/messages:sendX", 31));
        assertEquals(true, RouteKind.OAUTH.matchesPath("/token?x", 6));
        assertEquals(true, Route.toItself(RouteKind.OAUTH, "oauth2.googleapis.com").allowsPath("/token?grant=1"));
    }
}
