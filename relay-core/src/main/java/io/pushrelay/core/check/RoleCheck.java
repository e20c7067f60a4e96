package io.pushrelay.core.check;

import io.netty.channel.EventLoopGroup;
import io.pushrelay.core.config.ConfigException;
import io.pushrelay.core.config.PostConfig;
import io.pushrelay.core.config.PreConfig;
import io.pushrelay.core.config.RoleConfig;
import io.pushrelay.core.transport.Transports;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The check engine: every step of {@code push-relay pre check} / {@code post check} over a loaded
 * config, one line each, in this order (steps marked pre run for relay-pre only):
 * <ol>
 *   <li>{@code config}: valid (the caller loaded it; {@link #configFailed} prints why not);</li>
 *   <li>{@code files}: every file the config names exists, is readable, secrets are not readable
 *       by every user ({@link io.pushrelay.core.config.FileCheck});</li>
 *   <li>{@code certificate}: per listener certificate, the key matches, the SANs cover the
 *       names ({@link CheckOptions#certificateNames()}), days to expiry (a warning under
 *       {@value CertificateStep#WARN_DAYS} days, failed once expired);</li>
 *   <li>{@code listen}: the listen and admin addresses can be bound (bound and released at once;
 *       an address held by the running relay, whose admin endpoint answers, passes);</li>
 *   <li>{@code resolve} (pre): each route name resolves to this relay, as the push service's
 *       {@code /etc/hosts} redirection must make it;</li>
 *   <li>{@code trust} (pre): the CA of the relay's certificate is in the system trust store;</li>
 *   <li>{@code network}: the proxy is reachable; per route, {@code CONNECT} allowed (or, direct,
 *       the upstream reachable), upstream TLS verifies, ALPN gives h2;</li>
 *   <li>{@code send-test}: with {@link CheckOptions#sendTest()}, one notification, its answer.</li>
 * </ol>
 * Steps go on after a failure where that still says something; a step that depends on a failed
 * one prints a {@code -} line. Blocking: runs on the caller's thread, network steps on a private
 * one-thread event loop group that is shut down before returning.
 */
public final class RoleCheck {
    public static final String CONFIG = "config";
    public static final String FILES = "files";
    public static final String CERTIFICATE = "certificate";
    public static final String LISTEN = "listen";
    public static final String RESOLVE = "resolve";
    public static final String TRUST = "trust";
    /** The group name of the proxy, connect, upstream, tls and alpn steps, for {@code --skip}. */
    public static final String NETWORK = "network";
    public static final String PROXY = "proxy";
    public static final String CONNECT = "connect";
    public static final String UPSTREAM = "upstream";
    public static final String TLS = "tls";
    public static final String ALPN = "alpn";
    public static final String SEND_TEST = "send-test";

    private RoleCheck() {
    }

    /** Runs every step over {@code config}, printing each line to {@code out}, then the summary. */
    public static CheckReport run(RoleConfig config, CheckOptions options, PrintWriter out) {
        CheckReport report = new CheckReport(out);
        report.pass(CONFIG, "config " + options.configSource() + " valid (" + describe(config) + ")");

        Set<String> badFiles = Set.of();
        if (options.skips(FILES)) {
            report.skip(FILES, "files: skipped (--skip " + FILES + ")");
        } else {
            badFiles = FilesStep.run(config, options, report);
        }

        if (options.skips(CERTIFICATE)) {
            report.skip(CERTIFICATE, "certificate: skipped (--skip " + CERTIFICATE + ")");
        } else {
            CertificateStep.run(config, certificateNames(config, options), badFiles, options.clock().instant(), report);
        }

        if (options.skips(LISTEN)) {
            report.skip(LISTEN, "listen: skipped (--skip " + LISTEN + ")");
        } else {
            ListenStep.run(config, report);
        }

        if (config instanceof PreConfig pre) {
            if (options.skips(RESOLVE)) {
                report.skip(RESOLVE, "resolve: skipped (--skip " + RESOLVE + ")");
            } else {
                ResolveStep.run(pre, options.resolver(), report);
            }
            if (options.skips(TRUST)) {
                report.skip(TRUST, "trust: skipped (--skip " + TRUST + ")");
            } else {
                TrustStep.run(pre, options.trustBundles(), badFiles, report);
            }
        }

        EventLoopGroup group = Transports.newGroup("check", 1);
        try {
            NetworkStep.Outcome network;
            if (options.skips(NETWORK)) {
                report.skip(NETWORK, "network: skipped (--skip " + NETWORK + ")");
                network = NetworkStep.Outcome.notRun();
            } else {
                network = NetworkStep.run(config, badFiles, group, report);
            }
            if (options.sendTest() != null) {
                SendTestStep.run(config, options.sendTest(), network, options.skips(NETWORK), group, report);
            }
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        out.println(report.summary());
        out.flush();
        return report;
    }

    /**
     * Prints a {@code ✘ config} line per problem of a config that could not be loaded, then the
     * summary; returns {@link CheckReport#CONFIG_ERROR}.
     */
    public static int configFailed(ConfigException e, PrintWriter out) {
        CheckReport report = new CheckReport(out);
        for (ConfigException.Problem p : e.problems()) {
            report.fail(CONFIG, p.toString(), fixFor(p));
        }
        out.println(report.summary() + "; nothing else checked until the config loads");
        out.flush();
        return CheckReport.CONFIG_ERROR;
    }

    /** Where to fix it: the file and line, the flag, or the key to add. */
    static String fixFor(ConfigException.Problem p) {
        String origin = p.origin();
        String key = p.key().isEmpty() ? "" : " (" + p.key() + ")";
        if (origin.startsWith("flag ")) {
            return "correct " + origin.substring("flag ".length()) + key;
        }
        int colon = origin.lastIndexOf(':');
        if (colon > 0 && colon + 1 < origin.length() && origin.substring(colon + 1).chars().allMatch(Character::isDigit)) {
            return "edit " + origin.substring(0, colon) + " line " + origin.substring(colon + 1) + key;
        }
        if (p.key().isEmpty()) {
            return "make " + origin + " a readable UTF-8 YAML file (examples: scripts/pre.example.yaml, scripts/post.example.yaml)";
        }
        return "set " + p.key() + " in " + origin + " (or give its flag)";
    }

    /** The names the listener's certificates must cover. */
    static List<String> certificateNames(RoleConfig config, CheckOptions options) {
        if (options.certificateNames() != null) {
            return options.certificateNames();
        }
        if (config instanceof PreConfig) {
            return new ArrayList<>(config.routes().keySet());
        }
        return List.of();
    }

    /** {@code relay-pre, 3 routes, proxy http://relay@proxy:3128}. */
    static String describe(RoleConfig config) {
        StringBuilder s = new StringBuilder(role(config));
        s.append(", ").append(config.routes().size()).append(config.routes().size() == 1 ? " route" : " routes");
        s.append(config.proxy() == null ? ", direct" : ", proxy " + config.proxy().url());
        if (config instanceof PreConfig pre) {
            if (pre.passthrough()) {
                s.append(", passthrough");
            }
            if (pre.via() != null) {
                s.append(", via ").append(pre.via().url());
            }
        }
        if (config instanceof PostConfig post && post.plaintext()) {
            s.append(", plaintext");
        }
        return s.toString();
    }

    static String role(RoleConfig config) {
        return config instanceof PreConfig ? "relay-pre" : "relay-post";
    }

    /** The systemd unit of the role, for fixes that end in a reload. */
    static String unit(RoleConfig config) {
        return config instanceof PreConfig ? "push-relay-pre" : "push-relay-post";
    }
}
