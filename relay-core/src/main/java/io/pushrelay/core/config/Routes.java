package io.pushrelay.core.config;

import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteTable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The {@code routes}/{@code fcm} keys both roles share. */
final class Routes {
    private Routes() {
    }

    /**
     * The effective routes: the given ones (names lower-cased), or every APNS host to itself on 443
     * when none are given; with {@code fcm}, FCM and OAuth to themselves unless routed already.
     */
    static Map<String, HostPort> effective(Map<String, HostPort> routes, boolean fcm) {
        Map<String, HostPort> out = new LinkedHashMap<>();
        if (routes == null) {
            for (String host : RouteTable.APNS_HOSTS) {
                out.put(host, new HostPort(host, 443));
            }
        } else {
            if (routes.isEmpty()) {
                throw new InvalidValueException("routes", "empty: nothing could be relayed (leave routes out for the APNS hosts)");
            }
            for (Map.Entry<String, HostPort> e : routes.entrySet()) {
                String name = e.getKey() == null ? "" : e.getKey().strip().toLowerCase(Locale.ROOT);
                if (!IpLiterals.isHostName(name)) {
                    throw new InvalidValueException("routes." + e.getKey(), "'" + e.getKey() + "' is not a host name");
                }
                HostPort target = InvalidValueException.required("routes." + name, e.getValue(), "HOST:PORT to send " + name + " requests to");
                target.requirePort("routes." + name);
                if (out.put(name, target) != null) {
                    throw new InvalidValueException("routes." + e.getKey(), "'" + name + "' is routed twice");
                }
            }
        }
        if (fcm) {
            out.putIfAbsent(RouteTable.FCM_HOST, new HostPort(RouteTable.FCM_HOST, 443));
            out.putIfAbsent(RouteTable.OAUTH_HOST, new HostPort(RouteTable.OAUTH_HOST, 443));
        }
        return Collections.unmodifiableMap(out);
    }

    /** Routes with each name's kind ({@link RouteTable#kindFor}); a body limit above 0 replaces the kinds' own. */
    static RouteTable table(Map<String, HostPort> routes, int maxBodyBytes) {
        List<Route> list = new ArrayList<>();
        for (Map.Entry<String, HostPort> e : routes.entrySet()) {
            Route r = Route.of(RouteTable.kindFor(e.getKey()), e.getKey(), e.getValue().host(), e.getValue().port());
            if (maxBodyBytes > 0) {
                r = new Route(r.authority(), r.host(), r.port(), r.kind(), r.methods(), r.path(), maxBodyBytes);
            }
            list.add(r);
        }
        return new RouteTable(list);
    }
}
