package io.pushrelay.core.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The HTTP/2 connections to APNS/FCM (or to what {@code routes} point at).
 *
 * @param ca                         PEM CA trusted for upstream certificates besides the system trust (a
 *                                   TLS-inspecting proxy's CA, or a test CA); null: system trust only
 * @param apnsClientCert             PKCS#12 client certificate presented to APNS (certificate-based
 *                                   auth); null: token auth, nothing presented
 * @param apnsClientCertPasswordFile file holding the PKCS#12 password (first line); null: empty password
 * @param maxConnectionsPerHost      HTTP/2 connections per upstream host and client identity
 * @param requestTimeout             from sending a request upstream to its complete answer
 * @param connectTimeout             TCP connect plus proxy CONNECT plus TLS handshake
 * @param pingInterval               PING on a quiet connection this often (keepalive through NAT and proxies)
 * @param idleTimeout                close an upstream connection without streams after this long
 */
public record UpstreamSettings(Path ca, Path apnsClientCert, Path apnsClientCertPasswordFile, int maxConnectionsPerHost,
                               Duration requestTimeout, Duration connectTimeout, Duration pingInterval,
                               Duration idleTimeout) {
    public static final int DEFAULT_MAX_CONNECTIONS_PER_HOST = 4;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(60);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    /** Every default: system trust, token auth. */
    public static final UpstreamSettings DEFAULTS = new UpstreamSettings(null, null, null, DEFAULT_MAX_CONNECTIONS_PER_HOST,
            DEFAULT_REQUEST_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_PING_INTERVAL, DEFAULT_IDLE_TIMEOUT);

    public UpstreamSettings {
        if (apnsClientCertPasswordFile != null && apnsClientCert == null) {
            throw new InvalidValueException("apns-client-cert-password-file", "needs apns-client-cert");
        }
        InvalidValueException.between("max-connections-per-host", 1, 1000, maxConnectionsPerHost);
        InvalidValueException.positive("request-timeout", InvalidValueException.required("request-timeout", requestTimeout, "a duration"));
        InvalidValueException.positive("connect-timeout", InvalidValueException.required("connect-timeout", connectTimeout, "a duration"));
        InvalidValueException.positive("ping-interval", InvalidValueException.required("ping-interval", pingInterval, "a duration"));
        InvalidValueException.positive("idle-timeout", InvalidValueException.required("idle-timeout", idleTimeout, "a duration"));
    }

    /** From a config file: absent keys take their defaults. */
    @JsonCreator
    static UpstreamSettings fromConfig(@JsonProperty("ca") Path ca,
                                       @JsonProperty("apns-client-cert") Path apnsClientCert,
                                       @JsonProperty("apns-client-cert-password-file") Path apnsClientCertPasswordFile,
                                       @JsonProperty("max-connections-per-host") Integer maxConnectionsPerHost,
                                       @JsonProperty("request-timeout") Duration requestTimeout,
                                       @JsonProperty("connect-timeout") Duration connectTimeout,
                                       @JsonProperty("ping-interval") Duration pingInterval,
                                       @JsonProperty("idle-timeout") Duration idleTimeout) {
        return new UpstreamSettings(ca, apnsClientCert, apnsClientCertPasswordFile,
                or(maxConnectionsPerHost, DEFAULT_MAX_CONNECTIONS_PER_HOST), or(requestTimeout, DEFAULT_REQUEST_TIMEOUT),
                or(connectTimeout, DEFAULT_CONNECT_TIMEOUT), or(pingInterval, DEFAULT_PING_INTERVAL),
                or(idleTimeout, DEFAULT_IDLE_TIMEOUT));
    }

    static <T> T or(T value, T otherwise) {
        return value != null ? value : otherwise;
    }
}
