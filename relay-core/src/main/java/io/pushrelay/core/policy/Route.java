package io.pushrelay.core.policy;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One route: requests for {@code authority} go to {@code host:port}. {@code host:port} is only
 * where to connect (directly, or {@code CONNECT host:port} through a proxy); TLS SNI and the
 * upstream certificate check always use {@code authority}, so a route to an address still
 * insists on the real name.
 *
 * @param authority    the name requests carry in {@code :authority}/{@code Host}, lower-case, no port
 * @param host         where to connect
 * @param port         where to connect
 * @param kind         what the upstream is
 * @param methods      allowed methods
 * @param path         allowed paths (without query), whole-match
 * @param maxBodyBytes body limit; larger bodies are answered 413 without touching the upstream
 */
public record Route(String authority, String host, int port, RouteKind kind, Set<String> methods, Pattern path,
                    int maxBodyBytes) {
    public Route {
        if (authority == null || authority.isBlank()) {
            throw new IllegalArgumentException("route authority is empty");
        }
        authority = authority.toLowerCase(Locale.ROOT);
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("route " + authority + ": upstream host is empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("route " + authority + ": port " + port + " out of range 1-65535");
        }
        methods = Set.copyOf(methods);
        if (maxBodyBytes < 0) {
            throw new IllegalArgumentException("route " + authority + ": negative body limit");
        }
    }

    /** A route of the given kind with that kind's methods, paths and body limit. */
    public static Route of(RouteKind kind, String authority, String host, int port) {
        return new Route(authority, host, port, kind, kind.methods(), kind.path(), kind.maxBodyBytes());
    }

    /** The route's own name, to itself on 443: the default for the public gateways. */
    public static Route toItself(RouteKind kind, String authority) {
        return of(kind, authority, authority, 443);
    }

    public boolean allowsMethod(String method) {
        return methods.contains(method);
    }

    /** Whole-match of the path without its query string. */
    public boolean allowsPath(String pathAndQuery) {
        int q = pathAndQuery.indexOf('?');
        int end = q < 0 ? pathAndQuery.length() : q;
        if (path == kind.path()) {
            return kind.matchesPath(pathAndQuery, end);
        }
        return path.matcher(pathAndQuery).region(0, end).matches();
    }

    /** {@code authority => host:port}, for logs. */
    @Override
    public String toString() {
        return authority + " => " + host + ":" + port;
    }
}
