package io.pushrelay.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * relay-post's downstream limits. A "client" is one source address.
 *
 * @param maxConnections             downstream connections at once; more are closed as they arrive
 * @param maxConnectionsPerClient    connections at once from one source address
 * @param requestsPerSecondPerClient requests per second from one source address; more are answered 429
 * @param maxBodyBytes               request body limit for every route; 0 (the default): each route's
 *                                   own (APNS 5120, FCM 65536, OAuth 16384)
 * @param handshakeTimeout           from accept to a finished TLS handshake
 * @param idleTimeout                close a downstream connection without a request for this long
 */
public record PostLimitSettings(int maxConnections, int maxConnectionsPerClient, int requestsPerSecondPerClient,
                                int maxBodyBytes, Duration handshakeTimeout, Duration idleTimeout) {
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    public static final int DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 512;
    public static final int DEFAULT_REQUESTS_PER_SECOND_PER_CLIENT = 100_000;
    public static final int MAX_BODY_BYTES_LIMIT = 16 * 1024 * 1024;
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    public static final PostLimitSettings DEFAULTS = new PostLimitSettings(DEFAULT_MAX_CONNECTIONS,
            DEFAULT_MAX_CONNECTIONS_PER_CLIENT, DEFAULT_REQUESTS_PER_SECOND_PER_CLIENT, 0, DEFAULT_HANDSHAKE_TIMEOUT,
            DEFAULT_IDLE_TIMEOUT);

    public PostLimitSettings {
        InvalidValueException.atLeast("max-connections", 1, maxConnections);
        InvalidValueException.atLeast("max-connections-per-client", 1, maxConnectionsPerClient);
        InvalidValueException.atLeast("requests-per-second-per-client", 1, requestsPerSecondPerClient);
        InvalidValueException.between("max-body-bytes", 0, MAX_BODY_BYTES_LIMIT, maxBodyBytes);
        InvalidValueException.positive("handshake-timeout", InvalidValueException.required("handshake-timeout", handshakeTimeout, "a duration"));
        InvalidValueException.positive("idle-timeout", InvalidValueException.required("idle-timeout", idleTimeout, "a duration"));
    }

    /** From a config file: absent keys take their defaults. */
    @JsonCreator
    static PostLimitSettings fromConfig(@JsonProperty("max-connections") Integer maxConnections,
                                        @JsonProperty("max-connections-per-client") Integer maxConnectionsPerClient,
                                        @JsonProperty("requests-per-second-per-client") Integer requestsPerSecondPerClient,
                                        @JsonProperty("max-body-bytes") Integer maxBodyBytes,
                                        @JsonProperty("handshake-timeout") Duration handshakeTimeout,
                                        @JsonProperty("idle-timeout") Duration idleTimeout) {
        return new PostLimitSettings(UpstreamSettings.or(maxConnections, DEFAULT_MAX_CONNECTIONS),
                UpstreamSettings.or(maxConnectionsPerClient, DEFAULT_MAX_CONNECTIONS_PER_CLIENT),
                UpstreamSettings.or(requestsPerSecondPerClient, DEFAULT_REQUESTS_PER_SECOND_PER_CLIENT),
                UpstreamSettings.or(maxBodyBytes, 0), UpstreamSettings.or(handshakeTimeout, DEFAULT_HANDSHAKE_TIMEOUT),
                UpstreamSettings.or(idleTimeout, DEFAULT_IDLE_TIMEOUT));
    }
}
