package io.pushrelay.core.role;

import io.pushrelay.core.config.RoleConfig;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteTable;

/** The words of the roles' start-up and reload log lines. */
public final class RoleText {
    private RoleText() {
    }

    /** The routes, comma-separated, in table order. */
    public static String routes(RouteTable routes) {
        StringBuilder out = new StringBuilder();
        for (Route r : routes.routes()) {
            if (out.length() > 0) {
                out.append(", ");
            }
            out.append(r);
        }
        return out.toString();
    }

    /** How upstream connections go: {@code direct} or {@code via proxy <url>}, and an extra upstream CA. */
    public static StringBuilder upstream(RoleConfig config) {
        StringBuilder out = new StringBuilder(config.proxy() == null ? "direct"
                : "via proxy " + config.proxy().url().render(true));
        if (config.upstream().ca() != null) {
            out.append(", extra upstream CA ").append(config.upstream().ca());
        }
        return out;
    }
}
