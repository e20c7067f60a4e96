package io.pushrelay.core.config;

import io.pushrelay.core.policy.RouteTable;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** What both roles' configs have: lifecycle, logging, admin, the upstream side. Immutable records. */
public sealed interface RoleConfig permits PreConfig, PostConfig {
    /** Where the downstream listener binds. */
    HostPort listen();

    /** The certificates the listener shows; null when the listener does not terminate TLS. */
    TlsSettings tls();

    /** The proxy upstream connections go through; null: direct. */
    ProxySettings proxy();

    UpstreamSettings upstream();

    /** {@code :authority} -> where to connect, in config order, defaults filled in. */
    Map<String, HostPort> routes();

    /** Whether FCM and OAuth routes were added. */
    boolean fcm();

    AdminSettings admin();

    /** On SIGTERM: stop accepting, let exchanges in flight finish for at most this long, then close. */
    Duration drainTimeout();

    LogSettings log();

    /** {@link #routes()} as the policy's route table. */
    RouteTable routeTable();

    /** Every file the config names, for {@code check}. */
    List<ConfigFile> files();

    /** The effective config as YAML; with {@code redacted}, no password appears. */
    String render(boolean redacted);
}
