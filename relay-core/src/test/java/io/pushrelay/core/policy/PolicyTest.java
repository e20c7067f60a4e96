package io.pushrelay.core.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.testing.Requests;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class PolicyTest {
    private final Policy policy = new Policy(RouteTable.defaults(true));

    private Policy.Decision check(RelayRequest request) {
        return check(request, policy::check);
    }

    private static Policy.Decision check(RelayRequest request, Function<RelayRequest, Policy.Decision> check) {
        try {
            return check.apply(request);
        } finally {
            request.release();
        }
    }

    @Test
    void apnsRequestShouldPassWithItsRoute() {
        Policy.Decision decision = check(Requests.apns("{}"));
        assertTrue(decision.allowed());
        assertNull(decision.error());
        assertEquals("api.push.apple.com", decision.route().authority());
    }

    @Test
    void authorityShouldMatchWithPortAndAnyCase() {
        Policy.Decision decision = check(Requests.of("POST", "API.Push.Apple.com:443", "/3/device/" + Requests.TOKEN, "{}"));
        assertTrue(decision.allowed());
    }

    @Test
    void unknownAuthorityShouldAnswer421() {
        Policy.Decision decision = check(Requests.of("POST", "evil.example.com", "/3/device/" + Requests.TOKEN, "{}"));
        assertSame(RelayError.NO_ROUTE, decision.error());
        assertEquals(421, decision.error().status());
        assertNull(decision.route());
    }

    @Test
    void wrongMethodShouldAnswer405() {
        Policy.Decision decision = check(Requests.of("GET", "api.push.apple.com", "/3/device/" + Requests.TOKEN, ""));
        assertSame(RelayError.METHOD_NOT_ALLOWED, decision.error());
        assertEquals(405, decision.error().status());
        assertEquals("api.push.apple.com", decision.route().authority());
    }

    @Test
    void pathOutsideTheRouteShouldAnswer404BadPath() {
        Policy.Decision decision = check(Requests.of("POST", "api.push.apple.com", "/3/devices/abc", "{}"));
        assertSame(RelayError.PATH_NOT_ALLOWED, decision.error());
        assertEquals("BadPath", decision.error().reason());
    }

    @Test
    void queryStringShouldNotChangeThePathMatch() {
        assertTrue(check(Requests.of("POST", "api.push.apple.com", "/3/device/abcd?x=1", "{}")).allowed());
    }

    @Test
    void bodyOverTheRouteLimitShouldAnswer413() {
        Policy.Decision decision = check(Requests.apns("x".repeat(5121)));
        assertSame(RelayError.BODY_TOO_LARGE, decision.error());
        assertTrue(check(Requests.apns("x".repeat(5120))).allowed());
    }

    @Test
    void fcmRouteShouldHaveItsOwnPathsAndLimit() {
        assertTrue(check(Requests.of("POST", "fcm.googleapis.com", "/v1/projects/p-1/messages:send", "{}")).allowed());
        assertSame(RelayError.PATH_NOT_ALLOWED,
                check(Requests.of("POST", "fcm.googleapis.com", "/3/device/abc", "{}")).error());
        assertEquals(65536, policy.bodyLimit("fcm.googleapis.com"));
    }

    @Test
    void bodyLimitOfAnUnknownAuthorityShouldBeTheLargestRouteLimit() {
        assertEquals(5120, policy.bodyLimit("api.push.apple.com:443"));
        assertEquals(65536, policy.bodyLimit("nowhere.example"));
        assertEquals(5120, new Policy(RouteTable.defaults(false)).bodyLimit("nowhere.example"));
    }

    @Test
    void addedRuleShouldRunAfterTheStandardOnesAndSeeTheDownstream() {
        PolicyRule onlyListenerA = (request, route, downstream) ->
                "a".equals(downstream.listener()) ? null : RelayError.FORBIDDEN;
        Policy strict = policy.withRule(onlyListenerA);
        RelayRequest ok = Requests.apns("{}");
        RelayRequest refused = Requests.apns("{}");
        RelayRequest badPath = Requests.of("POST", "api.push.apple.com", "/nope", "{}");
        try {
            assertTrue(strict.check(ok, new Downstream(ok.downstream(), "id", "a", null)).allowed());
            assertSame(RelayError.FORBIDDEN, strict.check(refused, new Downstream(ok.downstream(), "id", "b", null)).error());
            assertSame(RelayError.PATH_NOT_ALLOWED,
                    strict.check(badPath, new Downstream(ok.downstream(), "id", "b", null)).error());
            assertEquals(4, strict.rules().size());
            assertEquals(List.of(PolicyRules.METHOD_ALLOWED, PolicyRules.PATH_ALLOWED, PolicyRules.BODY_WITHIN_LIMIT),
                    policy.rules());
        } finally {
            ok.release();
            refused.release();
            badPath.release();
        }
    }

    private static Downstream downstream(RelayRequest request, String tunnel) {
        return new Downstream(request.downstream(), "id", "post", null, tunnel);
    }

    @Test
    void accessRulesShouldRunBeforeTheRouteLookupAndInOrder() {
        List<String> calls = new java.util.ArrayList<>();
        Policy strict = policy
                .withAccessRule((request, downstream) -> {
                    calls.add("first");
                    return null;
                })
                .withAccessRule((request, downstream) -> {
                    calls.add("second");
                    return RelayError.CLIENT_NOT_ALLOWED;
                });
        // An unrouted authority: the client is refused before anyone looks at where it wants to go.
        assertSame(RelayError.CLIENT_NOT_ALLOWED,
                check(Requests.of("POST", "nowhere.example", "/3/device/abcd", "{}"), strict::check).error());
        assertEquals(List.of("first", "second"), calls);
        assertEquals(2, strict.accessRules().size());
        assertEquals(policy.rules(), strict.rules());
    }

    @Test
    void noRouteErrorShouldBeConfigurable() {
        assertSame(RelayError.NO_ROUTE, check(Requests.of("POST", "nowhere.example", "/", "{}")).error());
        Policy proxyLike = policy.withNoRouteError(RelayError.DESTINATION_NOT_ALLOWED);
        assertSame(RelayError.DESTINATION_NOT_ALLOWED,
                check(Requests.of("POST", "nowhere.example", "/", "{}"), proxyLike::check).error());
    }

    @Test
    void tunnelShouldNeedARoutedHostOn443OrTheRoutesPort() {
        List<Route> routes = List.of(Route.of(RouteKind.APNS, "api.push.apple.com", "10.0.0.5", 8443));
        Policy tunnels = new Policy(new RouteTable(routes));
        java.util.function.Function<String, Policy.Decision> connect = target -> {
            RelayRequest request = Requests.of("CONNECT", target, "", "");
            try {
                return tunnels.checkTunnel(request, Downstream.of(request));
            } finally {
                request.release();
            }
        };
        assertTrue(connect.apply("api.push.apple.com:443").allowed());
        assertTrue(connect.apply("API.push.apple.com:8443").allowed());
        assertSame(RelayError.PORT_NOT_ALLOWED, connect.apply("api.push.apple.com:22").error());
        assertEquals("api.push.apple.com", connect.apply("api.push.apple.com:22").route().authority());
        assertSame(RelayError.DESTINATION_NOT_ALLOWED, connect.apply("fcm.googleapis.com:443").error());
        assertSame(RelayError.DESTINATION_NOT_ALLOWED, connect.apply("10.0.0.5:8443").error());
        Policy refusing = tunnels.withAccessRule((request, downstream) -> RelayError.RATE_LIMITED);
        RelayRequest request = Requests.of("CONNECT", "api.push.apple.com:443", "", "");
        try {
            assertSame(RelayError.RATE_LIMITED, refusing.checkTunnel(request, Downstream.of(request)).error());
        } finally {
            request.release();
        }
    }

    @Test
    void requestInsideATunnelShouldBeForTheTunnelsHost() {
        RelayRequest sameHost = Requests.apns("{}");
        RelayRequest otherHost = Requests.of("POST", "api.sandbox.push.apple.com", "/3/device/abcd", "{}");
        try {
            assertTrue(policy.check(sameHost, downstream(sameHost, "api.push.apple.com:443")).allowed());
            assertSame(RelayError.NO_ROUTE,
                    policy.check(otherHost, downstream(otherHost, "api.push.apple.com:443")).error());
            assertTrue(policy.check(otherHost, downstream(otherHost, null)).allowed());
        } finally {
            sameHost.release();
            otherHost.release();
        }
    }
}
