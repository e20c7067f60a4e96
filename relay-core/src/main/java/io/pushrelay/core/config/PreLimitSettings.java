package io.pushrelay.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * relay-pre's downstream limits.
 *
 * @param maxConnections       downstream connections at once; more are closed as they arrive
 * @param handshakeTimeout     from accept to a finished TLS handshake
 * @param idleTimeout          close a downstream connection with no stream for this long
 * @param maxConcurrentStreams {@code SETTINGS_MAX_CONCURRENT_STREAMS} offered to each downstream connection
 */
public record PreLimitSettings(int maxConnections, Duration handshakeTimeout, Duration idleTimeout, int maxConcurrentStreams) {
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    public static final int DEFAULT_MAX_CONCURRENT_STREAMS = 1000;
    public static final PreLimitSettings DEFAULTS = new PreLimitSettings(DEFAULT_MAX_CONNECTIONS, DEFAULT_HANDSHAKE_TIMEOUT,
            DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONCURRENT_STREAMS);

    public PreLimitSettings {
        InvalidValueException.atLeast("max-connections", 1, maxConnections);
        InvalidValueException.positive("handshake-timeout", InvalidValueException.required("handshake-timeout", handshakeTimeout, "a duration"));
        InvalidValueException.positive("idle-timeout", InvalidValueException.required("idle-timeout", idleTimeout, "a duration"));
        InvalidValueException.atLeast("max-concurrent-streams", 1, maxConcurrentStreams);
    }

    /** From a config file: absent keys take their defaults. */
    @JsonCreator
    static PreLimitSettings fromConfig(@JsonProperty("max-connections") Integer maxConnections,
                                       @JsonProperty("handshake-timeout") Duration handshakeTimeout,
                                       @JsonProperty("idle-timeout") Duration idleTimeout,
                                       @JsonProperty("max-concurrent-streams") Integer maxConcurrentStreams) {
        return new PreLimitSettings(UpstreamSettings.or(maxConnections, DEFAULT_MAX_CONNECTIONS),
                UpstreamSettings.or(handshakeTimeout, DEFAULT_HANDSHAKE_TIMEOUT), UpstreamSettings.or(idleTimeout, DEFAULT_IDLE_TIMEOUT),
                UpstreamSettings.or(maxConcurrentStreams, DEFAULT_MAX_CONCURRENT_STREAMS));
    }
}
