package io.pushrelay.core.connect;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How the {@link Connector} reaches upstreams. Immutable; build with {@link #direct()} and the
 * {@code with*} methods.
 *
 * @param proxy            tunnel through this proxy with {@code CONNECT}; empty: connect directly
 * @param upstreamCa       an extra CA (PEM, one or more certificates) trusted for upstream TLS on
 *                         top of the JDK's default trust store (a TLS-inspecting proxy's CA)
 * @param clientCert       a client certificate presented upstream (APNS certificate auth)
 * @param connectTimeout   TCP connect to the first hop, and the proxy's answer to {@code CONNECT}
 * @param handshakeTimeout each TLS handshake (proxy and upstream), and the upstream's first
 *                         HTTP/2 SETTINGS frame
 * @param resolver         resolves the proxy's name, and in direct mode the route's host
 * @param avoid            addresses never connected to in direct mode: the relay's own listeners.
 *                         A wildcard address (0.0.0.0 or ::) stands for every local address on
 *                         that port.
 * @param protocol         what the upstream TLS handshake offers by ALPN and accepts:
 *                         {@link UpstreamProtocol#H2} (the default, APNS/FCM) or
 *                         {@link UpstreamProtocol#HTTP_1_1} (the chain to relay-post). Raw
 *                         {@link Connector#tunnel tunnels} have no upstream TLS and ignore it.
 */
public record ConnectorConfig(Optional<ProxyConfig> proxy, Optional<Path> upstreamCa,
                              Optional<ClientIdentity> clientCert, Duration connectTimeout,
                              Duration handshakeTimeout, HostResolver resolver, Set<InetSocketAddress> avoid,
                              UpstreamProtocol protocol) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    public ConnectorConfig {
        proxy = proxy == null ? Optional.empty() : proxy;
        upstreamCa = upstreamCa == null ? Optional.empty() : upstreamCa;
        clientCert = clientCert == null ? Optional.empty() : clientCert;
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connect timeout must be positive, got " + connectTimeout);
        }
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("handshake timeout must be positive, got " + handshakeTimeout);
        }
        resolver = resolver == null ? HostResolver.system() : resolver;
        avoid = avoid == null ? Set.of() : Set.copyOf(avoid);
        protocol = protocol == null ? UpstreamProtocol.H2 : protocol;
    }

    /** As before {@code protocol} existed: ALPN h2. */
    public ConnectorConfig(Optional<ProxyConfig> proxy, Optional<Path> upstreamCa, Optional<ClientIdentity> clientCert,
                           Duration connectTimeout, Duration handshakeTimeout, HostResolver resolver,
                           Set<InetSocketAddress> avoid) {
        this(proxy, upstreamCa, clientCert, connectTimeout, handshakeTimeout, resolver, avoid, UpstreamProtocol.H2);
    }

    /** Direct, JDK trust only, no client certificate, default timeouts, JVM resolver. */
    public static ConnectorConfig direct() {
        return new ConnectorConfig(Optional.empty(), Optional.empty(), Optional.empty(), DEFAULT_CONNECT_TIMEOUT,
                DEFAULT_HANDSHAKE_TIMEOUT, HostResolver.system(), Set.of(), UpstreamProtocol.H2);
    }

    public ConnectorConfig withProxy(ProxyConfig p) {
        return new ConnectorConfig(Optional.ofNullable(p), upstreamCa, clientCert, connectTimeout, handshakeTimeout,
                resolver, avoid, protocol);
    }

    public ConnectorConfig withUpstreamCa(Path ca) {
        return new ConnectorConfig(proxy, Optional.ofNullable(ca), clientCert, connectTimeout, handshakeTimeout,
                resolver, avoid, protocol);
    }

    public ConnectorConfig withClientCert(ClientIdentity identity) {
        return new ConnectorConfig(proxy, upstreamCa, Optional.ofNullable(identity), connectTimeout,
                handshakeTimeout, resolver, avoid, protocol);
    }

    public ConnectorConfig withConnectTimeout(Duration d) {
        return new ConnectorConfig(proxy, upstreamCa, clientCert, d, handshakeTimeout, resolver, avoid, protocol);
    }

    public ConnectorConfig withHandshakeTimeout(Duration d) {
        return new ConnectorConfig(proxy, upstreamCa, clientCert, connectTimeout, d, resolver, avoid, protocol);
    }

    public ConnectorConfig withResolver(HostResolver r) {
        return new ConnectorConfig(proxy, upstreamCa, clientCert, connectTimeout, handshakeTimeout, r, avoid, protocol);
    }

    public ConnectorConfig withAvoid(Set<InetSocketAddress> addresses) {
        return new ConnectorConfig(proxy, upstreamCa, clientCert, connectTimeout, handshakeTimeout, resolver,
                addresses, protocol);
    }

    /** Offers and accepts {@code p} by ALPN in the upstream TLS handshake. */
    public ConnectorConfig withProtocol(UpstreamProtocol p) {
        return new ConnectorConfig(proxy, upstreamCa, clientCert, connectTimeout, handshakeTimeout, resolver, avoid,
                p);
    }
}
