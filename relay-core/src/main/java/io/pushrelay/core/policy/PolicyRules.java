package io.pushrelay.core.policy;

import io.pushrelay.core.forward.RelayError;
import java.util.List;

/** The rules every route has: its methods, its paths, its body limit. */
public final class PolicyRules {
    /** Method not in the route's set: 405 MethodNotAllowed. */
    public static final PolicyRule METHOD_ALLOWED =
            (request, route, downstream) -> route.allowsMethod(request.method()) ? null : RelayError.METHOD_NOT_ALLOWED;

    /** Path (without query) not matching the route's pattern: 404 BadPath. */
    public static final PolicyRule PATH_ALLOWED =
            (request, route, downstream) -> route.allowsPath(request.path()) ? null : RelayError.PATH_NOT_ALLOWED;

    /** Body over the route's limit: 413 PayloadTooLarge. */
    public static final PolicyRule BODY_WITHIN_LIMIT = (request, route, downstream) ->
            request.body().readableBytes() <= route.maxBodyBytes() ? null : RelayError.BODY_TOO_LARGE;

    private PolicyRules() {
    }

    /** Method, then path, then body size. */
    public static List<PolicyRule> standard() {
        return List.of(METHOD_ALLOWED, PATH_ALLOWED, BODY_WITHIN_LIMIT);
    }
}
