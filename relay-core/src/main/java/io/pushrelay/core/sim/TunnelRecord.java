package io.pushrelay.core.sim;

import java.time.Instant;

/**
 * One CONNECT the proxy simulator handled, logged when it ended (like Squid's access log, which
 * writes a tunnel's line when it closes).
 *
 * @param client      the client's address, {@code ip:port}
 * @param method      {@code CONNECT}, or what was asked instead (refused with 501), or {@code -}
 * @param target      the CONNECT target as asked, {@code host:port}
 * @param upstream    the address connected to, {@code ip:port}, or {@code -} when none
 * @param user        the authenticated user, or {@code -}
 * @param status      200 for a tunnel; 400, 403, 407, 501 or 503 for a refusal
 * @param bytesUp     bytes copied client to target
 * @param bytesDown   bytes copied target to client
 * @param durationMillis from the CONNECT to the tunnel's close
 * @param startedAt   when the CONNECT arrived
 */
public record TunnelRecord(String client, String method, String target, String upstream, String user, int status,
                           long bytesUp, long bytesDown, long durationMillis, Instant startedAt) {

    /** {@code 127.0.0.1:50000 CONNECT api.push.apple.com:443 200 -> 127.0.0.1:8443 user=u up=1 down=2 3 ms}. */
    public String logLine() {
        return client + " " + method + " " + target + " " + status + " -> " + upstream + " user=" + user
                + " up=" + bytesUp + " down=" + bytesDown + " " + durationMillis + " ms";
    }
}
