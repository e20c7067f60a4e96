package io.pushrelay.core.policy;

import io.pushrelay.core.forward.AuthorityNames;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides whether a request may go upstream. In order: every {@link AccessRule} (who asks:
 * client identity, rate); inside a terminated {@code CONNECT} tunnel, the request must be for
 * the tunnel's host (else 421 NO_ROUTE); its authority must have a route (else the no-route
 * error, 421 NO_ROUTE unless {@link #withNoRouteError} says otherwise); then every
 * {@link PolicyRule} must let it through (the standard ones: method 405, path 404, body 413).
 * Roles add their own rules with {@link #withAccessRule} and {@link #withRule}.
 *
 * <p>{@link #checkTunnel} decides a {@code CONNECT}: the access rules, a routed host (else
 * 403 DESTINATION_NOT_ALLOWED: a tunnel is always a request to go elsewhere), and port 443 or
 * the route's own (else 403 PORT_NOT_ALLOWED). Immutable; safe from any thread.
 */
public final class Policy {
    /** The port a {@code CONNECT} may always name: the push gateways' HTTPS port. */
    public static final int TUNNEL_PORT = 443;

    private final RouteTable routes;
    private final List<AccessRule> accessRules;
    private final List<PolicyRule> rules;
    private final RelayError noRouteError;
    private final int largestBodyLimit;

    /** The routes with the standard rules. */
    public Policy(RouteTable routes) {
        this(routes, PolicyRules.standard());
    }

    /** The routes with exactly these rules, checked in order. */
    public Policy(RouteTable routes, List<PolicyRule> rules) {
        this(routes, List.of(), rules, RelayError.NO_ROUTE);
    }

    private Policy(RouteTable routes, List<AccessRule> accessRules, List<PolicyRule> rules, RelayError noRouteError) {
        this.routes = Objects.requireNonNull(routes, "routes");
        this.accessRules = List.copyOf(accessRules);
        this.rules = List.copyOf(rules);
        this.noRouteError = Objects.requireNonNull(noRouteError, "noRouteError");
        int largest = 0;
        for (Route route : routes.routes()) {
            largest = Math.max(largest, route.maxBodyBytes());
        }
        this.largestBodyLimit = largest;
    }

    /** A policy with {@code rule} checked after the current rules, once the route is known. */
    public Policy withRule(PolicyRule rule) {
        List<PolicyRule> more = new ArrayList<>(rules);
        more.add(Objects.requireNonNull(rule, "rule"));
        return new Policy(routes, accessRules, more, noRouteError);
    }

    /** A policy with {@code rule} checked after the current access rules, before the route lookup. */
    public Policy withAccessRule(AccessRule rule) {
        List<AccessRule> more = new ArrayList<>(accessRules);
        more.add(Objects.requireNonNull(rule, "rule"));
        return new Policy(routes, more, rules, noRouteError);
    }

    /**
     * A policy answering requests for unrouted authorities with {@code error}: relay-post, whose
     * every request names where to go, refuses them as 403 DESTINATION_NOT_ALLOWED.
     */
    public Policy withNoRouteError(RelayError error) {
        return new Policy(routes, accessRules, rules, error);
    }

    public RouteTable routes() {
        return routes;
    }

    public List<PolicyRule> rules() {
        return rules;
    }

    public List<AccessRule> accessRules() {
        return accessRules;
    }

    /** {@link #check(RelayRequest, Downstream)} with what the request itself tells of its connection. */
    public Decision check(RelayRequest request) {
        return check(request, Downstream.of(request));
    }

    /** The request's route, or why it is refused. Does not take ownership of the request. */
    public Decision check(RelayRequest request, Downstream downstream) {
        RelayError refused = checkAccess(request, downstream);
        if (refused != null) {
            return Decision.refuse(refused);
        }
        if (downstream.tunnel() != null
                && !AuthorityNames.hostOf(downstream.tunnel()).equals(request.host())) {
            // RFC 9110 15.5.20: this connection was made for another host.
            return Decision.refuse(RelayError.NO_ROUTE);
        }
        Optional<Route> found = routes.find(request.authority());
        if (found.isEmpty()) {
            return Decision.refuse(noRouteError);
        }
        Route route = found.get();
        for (PolicyRule rule : rules) {
            RelayError error = rule.check(request, route, downstream);
            if (error != null) {
                return new Decision(route, error);
            }
        }
        return Decision.allow(route);
    }

    /**
     * Whether a {@code CONNECT} to {@code request.authority()} ({@code host:port}) may open a
     * tunnel whose TLS the relay terminates. Does not take ownership of the request.
     */
    public Decision checkTunnel(RelayRequest request, Downstream downstream) {
        RelayError refused = checkAccess(request, downstream);
        if (refused != null) {
            return Decision.refuse(refused);
        }
        Optional<Route> found = routes.find(request.authority());
        if (found.isEmpty()) {
            return Decision.refuse(RelayError.DESTINATION_NOT_ALLOWED);
        }
        Route route = found.get();
        int port = AuthorityNames.portOf(request.authority(), -1);
        if (port != TUNNEL_PORT && port != route.port()) {
            return new Decision(route, RelayError.PORT_NOT_ALLOWED);
        }
        return Decision.allow(route);
    }

    private RelayError checkAccess(RelayRequest request, Downstream downstream) {
        for (AccessRule rule : accessRules) {
            RelayError error = rule.check(request, downstream);
            if (error != null) {
                return error;
            }
        }
        return null;
    }

    /**
     * How many body bytes to accept for a request to {@code authority} before answering 413:
     * its route's limit, or the largest limit of all routes when it has none (the request is
     * then answered with the no-route error once complete).
     */
    public int bodyLimit(String authority) {
        return routes.find(authority).map(Route::maxBodyBytes).orElse(largestBodyLimit);
    }

    /**
     * The outcome of a check: a route and no error when allowed; an error otherwise, with the
     * route when one was found (for logs).
     */
    public record Decision(Route route, RelayError error) {
        public static Decision allow(Route route) {
            return new Decision(Objects.requireNonNull(route, "route"), null);
        }

        public static Decision refuse(RelayError error) {
            return new Decision(null, Objects.requireNonNull(error, "error"));
        }

        public boolean allowed() {
            return error == null;
        }
    }
}
