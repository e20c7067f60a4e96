package io.pushrelay.core.policy;

import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides whether a request may go upstream: its authority must have a route (else 421
 * NO_ROUTE), then every {@link PolicyRule} must let it through, in order (the standard ones:
 * method 405, path 404, body 413). Roles add their own rules (source CIDRs, client
 * identities, rate limits) with {@link #withRule}. Immutable; safe from any thread.
 */
public final class Policy {
    private final RouteTable routes;
    private final List<PolicyRule> rules;
    private final int largestBodyLimit;

    /** The routes with the standard rules. */
    public Policy(RouteTable routes) {
        this(routes, PolicyRules.standard());
    }

    /** The routes with exactly these rules, checked in order. */
    public Policy(RouteTable routes, List<PolicyRule> rules) {
        this.routes = Objects.requireNonNull(routes, "routes");
        this.rules = List.copyOf(rules);
        int largest = 0;
        for (Route route : routes.routes()) {
            largest = Math.max(largest, route.maxBodyBytes());
        }
        this.largestBodyLimit = largest;
    }

    /** A policy with {@code rule} checked after the current ones. */
    public Policy withRule(PolicyRule rule) {
        List<PolicyRule> more = new ArrayList<>(rules);
        more.add(Objects.requireNonNull(rule, "rule"));
        return new Policy(routes, more);
    }

    public RouteTable routes() {
        return routes;
    }

    public List<PolicyRule> rules() {
        return rules;
    }

    /** {@link #check(RelayRequest, Downstream)} with what the request itself tells of its connection. */
    public Decision check(RelayRequest request) {
        return check(request, Downstream.of(request));
    }

    /** The request's route, or why it is refused. Does not take ownership of the request. */
    public Decision check(RelayRequest request, Downstream downstream) {
        Optional<Route> found = routes.find(request.authority());
        if (found.isEmpty()) {
            return Decision.refuse(RelayError.NO_ROUTE);
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
     * How many body bytes to accept for a request to {@code authority} before answering 413:
     * its route's limit, or the largest limit of all routes when it has none (the request is
     * then answered 421 once complete).
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
