package io.pushrelay.core.connect;

import io.pushrelay.core.forward.RelayError;
import java.util.Objects;

/**
 * Why an upstream connection could not be made, as the {@link RelayError} a request waiting for
 * it is answered with, and a message naming both ends, e.g.
 * {@code connect, basic, 127.0.0.1:3128 => api.push.apple.com:443, status: 407}.
 *
 * <ul>
 *   <li>{@link RelayError#PROXY_UNAVAILABLE}: the proxy is down, refused, unresolvable, timed out,
 *       failed its own TLS handshake, or hung up before answering {@code CONNECT}.</li>
 *   <li>{@link RelayError#PROXY_REFUSED}: the proxy answered {@code CONNECT} with a non-2xx status
 *       other than 502/503/504 (407 authentication, 403 policy, ...).</li>
 *   <li>{@link RelayError#UPSTREAM_UNAVAILABLE}: direct connection refused, unresolvable, timed
 *       out, or resolving only to the relay's own listener; or the proxy answered 502/503/504 for
 *       the target.</li>
 *   <li>{@link RelayError#UPSTREAM_TLS_FAILED}: the upstream TLS handshake failed (untrusted
 *       certificate, wrong name, client certificate refused, timeout) or the upstream did not
 *       select {@code h2} by ALPN.</li>
 * </ul>
 */
public final class ConnectorException extends Exception {
    private static final long serialVersionUID = 1L;

    private final RelayError error;
    private final int proxyStatus;

    public ConnectorException(RelayError error, String message) {
        this(error, message, null);
    }

    public ConnectorException(RelayError error, String message, Throwable cause) {
        super(message, cause);
        this.error = Objects.requireNonNull(error, "error");
        this.proxyStatus = 0;
    }

    /**
     * The proxy answered {@code CONNECT} with {@code proxyStatus} (not 2xx).
     *
     * @param proxyStatus the proxy's status code, 300-999
     */
    public ConnectorException(RelayError error, String message, int proxyStatus) {
        super(message, null);
        this.error = Objects.requireNonNull(error, "error");
        if (proxyStatus < 300 || proxyStatus > 999) {
            throw new IllegalArgumentException("proxy status " + proxyStatus + " is not a refusal");
        }
        this.proxyStatus = proxyStatus;
    }

    /** The status the proxy refused {@code CONNECT} with, or 0 when it gave no HTTP answer (or there was no proxy). */
    public int proxyStatus() {
        return proxyStatus;
    }

    /** The relay error a request that needed this connection is answered with. */
    public RelayError error() {
        return error;
    }

    @Override
    public String toString() {
        return "ConnectorException[" + error.flag() + "]: " + getMessage();
    }
}
