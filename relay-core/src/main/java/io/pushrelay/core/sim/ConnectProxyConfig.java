package io.pushrelay.core.sim;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How a {@link ConnectProxySimulator} behaves. Immutable; made with {@link #builder()}.
 *
 * @param listen         where to listen ({@code 127.0.0.1:0} by default)
 * @param user           Basic-auth user, or null for no authentication
 * @param password       Basic-auth password (with {@code user})
 * @param allowedPorts   target ports a CONNECT may reach; others get 403 (Squid's default: 443 only)
 * @param hosts          name (lower-case) to address, consulted before DNS, like Squid's
 *                       {@code hosts_file}: {@code api.push.apple.com -> 127.0.0.1}
 * @param connectTimeout how long to wait for the target's TCP connection
 * @param recordLimit    how many finished CONNECTs (tunnels and refusals) to keep for
 *                       {@link ConnectProxySimulator#records()}
 * @param ioThreads      event loop threads, 0 for one per core
 */
public record ConnectProxyConfig(InetSocketAddress listen, String user, String password, Set<Integer> allowedPorts,
                                 Map<String, String> hosts, Duration connectTimeout, int recordLimit, int ioThreads) {
    public ConnectProxyConfig {
        if (listen == null) {
            throw new IllegalArgumentException("proxy simulator: no listen address");
        }
        if ((user == null) != (password == null)) {
            throw new IllegalArgumentException("proxy simulator: give both a user and a password, or neither");
        }
        if (user != null && (user.isEmpty() || user.indexOf(':') >= 0)) {
            throw new IllegalArgumentException("proxy simulator: user must be non-empty and without ':'");
        }
        allowedPorts = Set.copyOf(allowedPorts);
        for (int port : allowedPorts) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("proxy simulator: allowed port " + port + " out of range 1-65535");
            }
        }
        Map<String, String> lower = new LinkedHashMap<>();
        hosts.forEach((name, address) -> lower.put(name.toLowerCase(Locale.ROOT), address));
        hosts = Map.copyOf(lower);
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("proxy simulator: connect timeout must be positive");
        }
        if (recordLimit < 0 || ioThreads < 0) {
            throw new IllegalArgumentException("proxy simulator: negative count");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public boolean requiresAuth() {
        return user != null;
    }

    /** Builds a {@link ConnectProxyConfig}; defaults: 127.0.0.1:0, no auth, port 443 only, no host overrides,
     * 5 s connect timeout, 1000 records. */
    public static final class Builder {
        private InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 0);
        private String user;
        private String password;
        private final Set<Integer> allowedPorts = new LinkedHashSet<>();
        private final Map<String, String> hosts = new LinkedHashMap<>();
        private Duration connectTimeout = Duration.ofSeconds(5);
        private int recordLimit = 1000;
        private int ioThreads;

        private Builder() {
        }

        public Builder listen(InetSocketAddress address) {
            this.listen = address;
            return this;
        }

        /** Require {@code Proxy-Authorization: Basic} with these credentials. */
        public Builder basicAuth(String user, String password) {
            this.user = user;
            this.password = password;
            return this;
        }

        /** Allow CONNECT to this port (once one is given, 443 is allowed only if listed too). */
        public Builder allowPort(int port) {
            this.allowedPorts.add(port);
            return this;
        }

        /** Resolve {@code name} to {@code address} (an IP literal or another name). */
        public Builder host(String name, String address) {
            this.hosts.put(name, address);
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        public Builder recordLimit(int limit) {
            this.recordLimit = limit;
            return this;
        }

        public Builder ioThreads(int threads) {
            this.ioThreads = threads;
            return this;
        }

        public ConnectProxyConfig build() {
            return new ConnectProxyConfig(listen, user, password, allowedPorts.isEmpty() ? Set.of(443) : allowedPorts,
                    hosts, connectTimeout, recordLimit, ioThreads);
        }
    }
}
