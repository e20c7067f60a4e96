package io.pushrelay.core.config;

import java.nio.file.Path;

/**
 * relay-pre chained to relay-post: requests leave relay-pre as HTTP/1.1 to {@code url} (through
 * the {@code proxy}, when one is set) instead of HTTP/2 to APNS.
 *
 * @param url        {@code https://HOST:PORT} of relay-post ({@code http://} when relay-post runs {@code plaintext})
 * @param ca         PEM CA that signed relay-post's certificate (beyond the system trust); https only
 * @param clientCert PEM client certificate chain relay-pre shows to relay-post (mutual TLS); https only
 * @param clientKey  PEM private key of {@code clientCert}
 * @param maxConnections HTTP/1.1 connections to relay-post at once, shared out over the event
 *                   loops (HTTP/1.1 carries one request at a time per connection, so this bounds
 *                   the requests in flight on the chain); default {@value #DEFAULT_MAX_CONNECTIONS}
 */
public record ViaSettings(EndpointUrl url, Path ca, Path clientCert, Path clientKey, Integer maxConnections) {
    public static final int DEFAULT_MAX_CONNECTIONS = 64;
    public static final int MAX_CONNECTIONS_LIMIT = 4096;

    public ViaSettings(EndpointUrl url, Path ca, Path clientCert, Path clientKey) {
        this(url, ca, clientCert, clientKey, null);
    }

    public ViaSettings {
        maxConnections = maxConnections == null ? DEFAULT_MAX_CONNECTIONS : maxConnections;
        InvalidValueException.between("max-connections", 1, MAX_CONNECTIONS_LIMIT, maxConnections);
        InvalidValueException.required("url", url, "https://HOST:PORT of relay-post");
        if (url.user() != null) {
            throw new InvalidValueException("url", "relay-post takes no user or password; use client-cert and client-key");
        }
        if ((clientCert == null) != (clientKey == null)) {
            throw new InvalidValueException(clientCert == null ? "client-cert" : "client-key",
                    "client-cert and client-key go together");
        }
        if (!url.tls() && (ca != null || clientCert != null)) {
            throw new InvalidValueException(ca != null ? "ca" : "client-cert", "only used with an https:// url; the url is " + url);
        }
    }
}
