package io.pushrelay.core.config;

import io.pushrelay.core.policy.RouteTable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * relay-post's config ({@code /etc/push-relay/post.yaml}): an HTTP/1.1 listener for a legacy
 * proxy (TLS by default), restricted to allowed sources and client certificates, and HTTP/2
 * upstream connections to APNS/FCM. Load with
 * {@link ConfigLoader#load(java.nio.file.Path, Class, ConfigOverrides)}; every rule is checked
 * here, so an instance is always usable.
 *
 * @param listen        where to listen; default {@code 0.0.0.0:8443}
 * @param tls           the listener's certificates; required unless {@code plaintext}, absent with it
 * @param plaintext     cleartext HTTP/1.1, only when explicitly true
 * @param clientCa      PEM CA downstream client certificates must chain to; null: no client certificate asked
 * @param allowClients  client certificate names allowed (SAN DNS name or CN); empty: any certificate {@code clientCa} signed
 * @param allowSources  source address ranges allowed; default the loopback and private ranges
 * @param routes        {@code :authority} -> where to connect; default: the APNS hosts to themselves on 443
 * @param fcm           also route {@code fcm.googleapis.com} and {@code oauth2.googleapis.com} to themselves
 * @param upstream      upstream connections; defaults when absent
 * @param proxy         egress proxy for upstream connections; null: direct
 * @param admin         admin endpoint; default {@code 127.0.0.1:9902}
 * @param limits        downstream limits; defaults when absent
 * @param drainTimeout  on SIGTERM, how long exchanges in flight may take; default 30s
 * @param log           logging; defaults when absent
 */
public record PostConfig(HostPort listen, TlsSettings tls, boolean plaintext, Path clientCa, List<String> allowClients,
                         List<Cidr> allowSources, Map<String, HostPort> routes, boolean fcm, UpstreamSettings upstream,
                         ProxySettings proxy, AdminSettings admin, PostLimitSettings limits, Duration drainTimeout,
                         LogSettings log) implements RoleConfig {
    public static final HostPort DEFAULT_LISTEN = new HostPort("0.0.0.0", 8443);
    public static final HostPort DEFAULT_ADMIN_LISTEN = new HostPort("127.0.0.1", 9902);
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
    /** Loopback and the private ranges (RFC 1918, RFC 4193 unique local). */
    public static final List<Cidr> PRIVATE_SOURCES = List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"),
            Cidr.parse("10.0.0.0/8"), Cidr.parse("172.16.0.0/12"), Cidr.parse("192.168.0.0/16"), Cidr.parse("fc00::/7"));

    public PostConfig {
        listen = listen == null ? DEFAULT_LISTEN : listen;
        if (plaintext) {
            if (tls != null) {
                throw new InvalidValueException("tls", "must be absent with plaintext: true (cleartext HTTP/1.1)");
            }
            if (clientCa != null) {
                throw new InvalidValueException("client-ca", "client certificates need TLS; impossible with plaintext: true");
            }
        } else if (tls == null) {
            throw new InvalidValueException("tls", "required: cert and key of relay-post's listener (or plaintext: true for cleartext HTTP/1.1)");
        }
        allowClients = allowClients == null ? List.of() : List.copyOf(allowClients.stream().map(n -> n == null ? "" : n.strip()).toList());
        for (int i = 0; i < allowClients.size(); i++) {
            if (allowClients.get(i).isEmpty()) {
                throw new InvalidValueException("allow-clients[" + i + "]", "empty name");
            }
        }
        if (!allowClients.isEmpty() && clientCa == null) {
            throw new InvalidValueException("allow-clients", "needs client-ca (the CA the allowed client certificates chain to)");
        }
        if (allowSources == null) {
            allowSources = PRIVATE_SOURCES;
        } else if (allowSources.isEmpty()) {
            throw new InvalidValueException("allow-sources", "empty: nobody could connect (0.0.0.0/0 and ::/0 allow everyone)");
        } else {
            for (int i = 0; i < allowSources.size(); i++) {
                InvalidValueException.required("allow-sources[" + i + "]", allowSources.get(i), "an address range");
            }
            allowSources = List.copyOf(allowSources);
        }
        routes = Routes.effective(routes, fcm);
        upstream = upstream == null ? UpstreamSettings.DEFAULTS : upstream;
        admin = admin == null ? new AdminSettings(DEFAULT_ADMIN_LISTEN) : admin;
        limits = limits == null ? PostLimitSettings.DEFAULTS : limits;
        drainTimeout = InvalidValueException.positive("drain-timeout", drainTimeout == null ? DEFAULT_DRAIN_TIMEOUT : drainTimeout);
        log = log == null ? LogSettings.DEFAULTS : log;
        if (listen.port() != 0 && listen.equals(admin.listen())) {
            throw new InvalidValueException("admin.listen", "the same address as listen (" + listen + ")");
        }
    }

    /** Whether a downstream from {@code source} may connect at all. */
    public boolean allowsSource(java.net.InetAddress source) {
        for (Cidr c : allowSources) {
            if (c.contains(source)) {
                return true;
            }
        }
        return false;
    }

    /** This config with {@code overrides} laid over it, checked again (see {@link ConfigLoader#override}). */
    public PostConfig withOverrides(ConfigOverrides overrides) throws ConfigException {
        return ConfigLoader.override(this, overrides);
    }

    /** As YAML, defaults filled in; passwords redacted when asked (see {@link ConfigLoader#render}). */
    @Override
    public String render(boolean redacted) {
        return ConfigLoader.render(this, redacted);
    }

    @Override
    public RouteTable routeTable() {
        return Routes.table(routes, limits.maxBodyBytes());
    }

    @Override
    public List<ConfigFile> files() {
        List<ConfigFile> out = new ArrayList<>();
        ConfigFiles.tls(out, "tls", tls);
        ConfigFiles.add(out, "client-ca", clientCa, false);
        ConfigFiles.proxy(out, proxy);
        ConfigFiles.upstream(out, upstream);
        return List.copyOf(out);
    }
}
