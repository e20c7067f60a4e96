package io.pushrelay.core.cli;

import io.pushrelay.core.config.ConfigException;
import io.pushrelay.core.config.ConfigOverrides;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The flags both relay roles take ({@code push-relay pre}, {@code post}), as a Picocli
 * {@code @Mixin}: the config file, the listener's certificate, routes, the upstream side, the
 * drain, logging, {@code --print-config} and {@code --verbose}. A role adds its own flags and lays
 * them over {@link #overrides()}. Each flag names the config key it sets in its description's
 * terms; a flag given replaces the key's value from the file (a repeatable flag: the whole list).
 */
public final class RoleFlags {
    @Option(names = "--config", paramLabel = "FILE",
            description = "YAML config file (annotated examples: scripts/pre.example.yaml, scripts/post.example.yaml).")
    Path config;

    @Option(names = "--cert", paramLabel = "FILE", description = "Certificate chain (PEM, leaf first) shown downstream.")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "Its private key (PEM, PKCS#8).")
    Path key;

    @Option(names = "--route", paramLabel = "AUTHORITY=HOST:PORT",
            description = "Route AUTHORITY to HOST:PORT (repeatable; replaces the default routes).")
    List<String> routes = new ArrayList<>();

    @Option(names = "--fcm", description = "Also route fcm.googleapis.com and oauth2.googleapis.com.")
    Boolean fcm;

    @Option(names = "--upstream-ca", paramLabel = "FILE",
            description = "Extra CA trusted for upstream TLS (e.g. a TLS-inspecting proxy's CA), besides the system's.")
    Path upstreamCa;

    @Option(names = "--proxy", paramLabel = "URL",
            description = "Proxy the upstream connections go through (HTTP CONNECT): "
                    + "http://[user[:password]@]host:port or https://...")
    String proxy;

    @Option(names = "--drain-timeout", paramLabel = "DURATION",
            description = "How long SIGTERM waits for exchanges in flight (e.g. 30s).")
    String drainTimeout;

    @Option(names = "--log-format", paramLabel = "text|json", description = "Log format.")
    String logFormat;

    @Option(names = "--access-log", paramLabel = "stdout|off|FILE", description = "Where the access log goes.")
    String accessLog;

    @Option(names = "--print-config", description = "Print the effective config (secrets redacted) and exit.")
    boolean printConfig;

    @Option(names = {"-v", "--verbose"}, description = "Show stack traces on errors.")
    boolean verbose;

    /** The config file, or {@code null} for flags and defaults only. */
    public Path config() {
        return config;
    }

    public boolean printConfig() {
        return printConfig;
    }

    public boolean verbose() {
        return verbose;
    }

    /** How a check names the config: its file, or {@code (flags only)}. */
    public String source() {
        return config == null ? "(flags only)" : config.toString();
    }

    /** The overrides of the flags given here. */
    public ConfigOverrides overrides() throws ConfigException {
        ConfigOverrides o = ConfigOverrides.none();
        o = set(o, "--cert", List.of("tls", "cert"), cert);
        o = set(o, "--key", List.of("tls", "key"), key);
        if (!routes.isEmpty()) {
            o = o.set("--route", List.of("routes"), routeTable(routes));
        }
        o = set(o, "--fcm", List.of("fcm"), fcm);
        o = set(o, "--upstream-ca", List.of("upstream", "ca"), upstreamCa);
        o = set(o, "--proxy", List.of("proxy", "url"), proxy);
        o = set(o, "--drain-timeout", List.of("drain-timeout"), drainTimeout);
        o = set(o, "--log-format", List.of("log", "format"), logFormat);
        return set(o, "--access-log", List.of("log", "access-log"), accessLog);
    }

    /** {@code o} with {@code key} set to {@code value} by {@code flag}, or {@code o} when the flag was not given. */
    public static ConfigOverrides set(ConfigOverrides o, String flag, List<String> key, Object value) {
        return value == null ? o : o.set(flag, key, value);
    }

    /** {@code --route AUTHORITY=HOST:PORT} flags as the {@code routes} mapping, in order. */
    static Map<String, String> routeTable(List<String> routes) throws ConfigException {
        Map<String, String> table = new LinkedHashMap<>();
        for (String route : routes) {
            int eq = route.indexOf('=');
            if (eq <= 0 || eq == route.length() - 1) {
                throw new ConfigException(new ConfigException.Problem("flag --route", "routes",
                        "expected AUTHORITY=HOST:PORT, got '" + route + "'"));
            }
            table.put(route.substring(0, eq).trim(), route.substring(eq + 1).trim());
        }
        return table;
    }
}
