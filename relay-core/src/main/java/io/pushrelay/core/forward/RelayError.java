package io.pushrelay.core.forward;

/**
 * Every answer the relay makes itself, instead of relaying the upstream's. Closed on purpose:
 * a relay-made answer never uses one of APNS's device-removal reasons ({@code BadDeviceToken},
 * {@code Unregistered}, {@code MissingDeviceToken}, {@code DeviceTokenNotForTopic}), since the
 * Mattermost push proxy deletes the device when it sees one; relay faults are 5xx so that
 * senders retry, policy refusals 4xx. Each carries a short access-log flag in Envoy's manner.
 */
public enum RelayError {
    /** Malformed request (bad header, bad framing). */
    BAD_REQUEST(400, "RelayBadRequest", "BR"),
    /** The source, client identity or destination is not allowed here. */
    FORBIDDEN(403, "RelayForbidden", "FB"),
    /** The client certificate names none of the allowed clients. */
    CLIENT_NOT_ALLOWED(403, "RelayClientNotAllowed", "CD"),
    /** The destination (absolute-form target, CONNECT target) is not in the route table: never an open proxy. */
    DESTINATION_NOT_ALLOWED(403, "RelayDestinationNotAllowed", "DD"),
    /** A CONNECT to a routed host on a port other than 443 or the route's own. */
    PORT_NOT_ALLOWED(403, "RelayPortNotAllowed", "PD"),
    /** The path does not match the route's patterns (APNS itself says BadPath). */
    PATH_NOT_ALLOWED(404, "BadPath", "BP"),
    /** The method is not allowed on the route (APNS itself says MethodNotAllowed). */
    METHOD_NOT_ALLOWED(405, "MethodNotAllowed", "MA"),
    /** The body is over the route's limit (APNS itself says PayloadTooLarge). */
    BODY_TOO_LARGE(413, "PayloadTooLarge", "BL"),
    /** No route for the request's authority (RFC 9110 15.5.20). */
    NO_ROUTE(421, "RelayMisdirectedRequest", "NR"),
    /** A per-client request-rate limit was hit. */
    RATE_LIMITED(429, "RelayTooManyRequests", "RL"),
    /** A bug or an unexpected state in the relay. */
    INTERNAL(500, "RelayInternalError", "IE"),
    /** The proxy answered the CONNECT with something other than 2xx (auth, policy). */
    PROXY_REFUSED(502, "RelayProxyRefused", "PR"),
    /** The upstream's TLS handshake failed (untrusted certificate, wrong name, no h2). */
    UPSTREAM_TLS_FAILED(502, "RelayUpstreamTlsFailed", "TF"),
    /** The upstream reset the stream or closed the connection mid-exchange. */
    UPSTREAM_RESET(502, "RelayUpstreamReset", "UR"),
    /** The proxy could not be reached (refused, unresolvable, timed out). */
    PROXY_UNAVAILABLE(503, "RelayProxyUnavailable", "PU"),
    /** The upstream could not be reached (refused, unresolvable, timed out). */
    UPSTREAM_UNAVAILABLE(503, "RelayUpstreamUnavailable", "UF"),
    /** Every upstream connection is busy and no more may be opened. */
    OVERLOADED(503, "RelayOverloaded", "UO"),
    /** The relay is draining and takes no new work. */
    SHUTTING_DOWN(503, "RelayShuttingDown", "SD"),
    /** The upstream did not answer in time. */
    UPSTREAM_TIMEOUT(504, "RelayUpstreamTimeout", "UT");

    private final int status;
    private final String reason;
    private final String flag;

    RelayError(int status, String reason, String flag) {
        this.status = status;
        this.reason = reason;
        this.flag = flag;
    }

    public int status() {
        return status;
    }

    /** The APNS-shaped reason, sent as {@code {"reason": "..."}}. */
    public String reason() {
        return reason;
    }

    /** The short access-log flag. */
    public String flag() {
        return flag;
    }

    public boolean isRelayFault() {
        return status >= 500;
    }
}
