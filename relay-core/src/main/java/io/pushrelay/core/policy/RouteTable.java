package io.pushrelay.core.policy;

import io.pushrelay.core.forward.AuthorityNames;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Routes by authority (case-insensitive, port ignored). Immutable; safe from any thread. */
public final class RouteTable {
    /** The APNS hosts, each to itself on 443: relay-pre's default. */
    public static final List<String> APNS_HOSTS =
            List.of("api.push.apple.com", "api.sandbox.push.apple.com", "api.development.push.apple.com");
    public static final String FCM_HOST = "fcm.googleapis.com";
    public static final String OAUTH_HOST = "oauth2.googleapis.com";

    private final Map<String, Route> routes;

    public RouteTable(Collection<Route> routes) {
        Map<String, Route> byName = new LinkedHashMap<>();
        for (Route route : routes) {
            if (byName.putIfAbsent(route.authority(), route) != null) {
                throw new IllegalArgumentException("two routes for " + route.authority());
            }
        }
        this.routes = Map.copyOf(byName);
    }

    /** APNS hosts to themselves on 443, plus FCM and OAuth when asked. */
    public static RouteTable defaults(boolean withFcm) {
        java.util.ArrayList<Route> list = new java.util.ArrayList<>();
        for (String host : APNS_HOSTS) {
            list.add(Route.toItself(RouteKind.APNS, host));
        }
        if (withFcm) {
            list.add(Route.toItself(RouteKind.FCM, FCM_HOST));
            list.add(Route.toItself(RouteKind.OAUTH, OAUTH_HOST));
        }
        return new RouteTable(list);
    }

    /** The route for an authority such as {@code api.push.apple.com:443}, if any. */
    public Optional<Route> find(String authority) {
        return Optional.ofNullable(routes.get(AuthorityNames.hostOf(authority)));
    }

    public Collection<Route> routes() {
        return routes.values();
    }

    /** The kind a well-known host has, for {@code --route NAME=HOST:PORT}; APNS otherwise. */
    public static RouteKind kindFor(String authority) {
        String host = AuthorityNames.hostOf(authority);
        if (host.equals(FCM_HOST)) {
            return RouteKind.FCM;
        }
        if (host.equals(OAUTH_HOST)) {
            return RouteKind.OAUTH;
        }
        return RouteKind.APNS;
    }
}
