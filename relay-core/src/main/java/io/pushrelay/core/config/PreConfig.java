package io.pushrelay.core.config;

import io.pushrelay.core.policy.RouteTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * relay-pre's config ({@code /etc/push-relay/pre.yaml}): a listener that answers as
 * {@code api.push.apple.com} to the push service, and upstream connections to APNS, through the
 * corporate proxy when one is set, or HTTP/1.1 to relay-post when {@code via} is set. Load with
 * {@link ConfigLoader#load(java.nio.file.Path, Class, ConfigOverrides)}; every rule is checked here,
 * so an instance is always usable. Nullable components are documented as such.
 *
 * @param listen       where to listen; default {@code 0.0.0.0:443}
 * @param tls          the certificates shown downstream; required unless {@code passthrough}, absent with it
 * @param proxy        corporate proxy for upstream connections; null: direct
 * @param upstream     upstream connections; defaults when absent
 * @param routes       {@code :authority} -> where to connect; default: the APNS hosts to themselves on 443
 * @param fcm          also route {@code fcm.googleapis.com} and {@code oauth2.googleapis.com} to themselves
 * @param via          chain to relay-post over HTTP/1.1; null: HTTP/2 to the routes' upstreams
 * @param passthrough  relay TLS untouched (read the SNI, tunnel the bytes); no {@code tls}, no {@code via}
 * @param admin        admin endpoint; default {@code 127.0.0.1:9901}
 * @param limits       downstream limits; defaults when absent
 * @param drainTimeout on SIGTERM, how long exchanges in flight may take; default 30s
 * @param log          logging; defaults when absent
 */
public record PreConfig(HostPort listen, TlsSettings tls, ProxySettings proxy, UpstreamSettings upstream,
                        Map<String, HostPort> routes, boolean fcm, ViaSettings via, boolean passthrough,
                        AdminSettings admin, PreLimitSettings limits, Duration drainTimeout, LogSettings log)
        implements RoleConfig {
    public static final HostPort DEFAULT_LISTEN = new HostPort("0.0.0.0", 443);
    public static final HostPort DEFAULT_ADMIN_LISTEN = new HostPort("127.0.0.1", 9901);
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

    public PreConfig {
        listen = listen == null ? DEFAULT_LISTEN : listen;
        upstream = upstream == null ? UpstreamSettings.DEFAULTS : upstream;
        routes = Routes.effective(routes, fcm);
        admin = admin == null ? new AdminSettings(DEFAULT_ADMIN_LISTEN) : admin;
        limits = limits == null ? PreLimitSettings.DEFAULTS : limits;
        drainTimeout = InvalidValueException.positive("drain-timeout", drainTimeout == null ? DEFAULT_DRAIN_TIMEOUT : drainTimeout);
        log = log == null ? LogSettings.DEFAULTS : log;
        if (passthrough) {
            if (tls != null) {
                throw new InvalidValueException("tls", "not used with passthrough: true (TLS passes through untouched)");
            }
            if (via != null) {
                throw new InvalidValueException("via", "impossible with passthrough: true (relay-pre would have to read the requests)");
            }
            if (upstream.apnsClientCert() != null) {
                throw new InvalidValueException("upstream.apns-client-cert",
                        "not used with passthrough: true (the push service's own certificate passes through)");
            }
        } else if (tls == null) {
            throw new InvalidValueException("tls", "required: cert and key of the certificate relay-pre shows as "
                    + String.join(", ", routes.keySet()) + " (or passthrough: true)");
        }
        if (listen.port() != 0 && listen.equals(admin.listen())) {
            throw new InvalidValueException("admin.listen", "the same address as listen (" + listen + ")");
        }
    }

    /** This config with {@code overrides} laid over it, checked again (see {@link ConfigLoader#override}). */
    public PreConfig withOverrides(ConfigOverrides overrides) throws ConfigException {
        return ConfigLoader.override(this, overrides);
    }

    /** As YAML, defaults filled in; passwords redacted when asked (see {@link ConfigLoader#render}). */
    @Override
    public String render(boolean redacted) {
        return ConfigLoader.render(this, redacted);
    }

    @Override
    public RouteTable routeTable() {
        return Routes.table(routes, 0);
    }

    @Override
    public List<ConfigFile> files() {
        List<ConfigFile> out = new ArrayList<>();
        ConfigFiles.tls(out, "tls", tls);
        ConfigFiles.proxy(out, proxy);
        ConfigFiles.upstream(out, upstream);
        if (via != null) {
            ConfigFiles.add(out, "via.ca", via.ca(), false);
            ConfigFiles.add(out, "via.client-cert", via.clientCert(), false);
            ConfigFiles.add(out, "via.client-key", via.clientKey(), true);
        }
        return List.copyOf(out);
    }
}
