package io.pushrelay.pre;

import io.pushrelay.core.config.ConfigException;
import io.pushrelay.core.config.ConfigLoader;
import io.pushrelay.core.config.ConfigOverrides;
import io.pushrelay.core.config.PreConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code push-relay pre}: runs the pre-proxy relay in the foreground. SIGTERM or SIGINT drain
 * it (stop accepting, finish exchanges in flight within the drain timeout) and exit 0; SIGHUP
 * reloads certificates and routes from the config file without dropping a connection.
 */
@Command(name = "push-relay pre", mixinStandardHelpOptions = true,
        versionProvider = PreCommand.Version.class,
        subcommands = PreCheckCommand.class, modelTransformer = io.pushrelay.core.check.ParentFlags.class,
        header = {"Run the pre-proxy relay: answer as api.push.apple.com, forward through the corporate proxy.", "",
            "Examples:",
            "  push-relay pre --config /etc/push-relay/pre.yaml",
            "  push-relay pre --listen 0.0.0.0:443 --cert tls/server.pem --key tls/server.key \\",
            "      --proxy http://relay@proxy.corp:3128 --proxy-password-file /etc/push-relay/proxy.password",
            "  push-relay pre --cert tls/server.pem --key tls/server.key --route api.push.apple.com=10.1.2.3:443",
            "  push-relay pre --config pre.yaml --print-config",
            "  push-relay pre check --config /etc/push-relay/pre.yaml     # validate, then test the network",
            ""},
        description = {"Flags override the config file's keys. Routes default to the three APNS hosts, each to itself "
                + "on 443; a route's HOST:PORT is only where to connect: TLS SNI and the certificate check always use "
                + "the route's name."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped by SIGTERM/SIGINT after draining, or help shown", "1:failed (bind, certificate...)",
            "2:usage or config error"})
public final class PreCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML config file (see scripts/pre.example.yaml).")
    Path config;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Where to listen (default 0.0.0.0:443).")
    String listen;

    @Option(names = "--cert", paramLabel = "FILE", description = "Certificate chain (PEM) shown downstream.")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "Its private key (PEM).")
    Path key;

    @Option(names = "--proxy", paramLabel = "URL", description = "Corporate proxy: http://[user@]host:port or https://...")
    String proxy;

    @Option(names = "--proxy-password-file", paramLabel = "FILE", description = "The proxy user's password (first line).")
    Path proxyPasswordFile;

    @Option(names = "--proxy-ca", paramLabel = "FILE", description = "CA of an https:// proxy's own certificate.")
    Path proxyCa;

    @Option(names = "--upstream-ca", paramLabel = "FILE",
            description = "Extra CA trusted for upstream TLS (a TLS-inspecting proxy's CA), besides the system's.")
    Path upstreamCa;

    @Option(names = "--route", paramLabel = "AUTHORITY=HOST:PORT",
            description = "Route AUTHORITY to HOST:PORT (repeatable; replaces the default routes).")
    List<String> routes = new ArrayList<>();

    @Option(names = "--fcm", description = "Also route fcm.googleapis.com and oauth2.googleapis.com.")
    Boolean fcm;

    @Option(names = "--apns-client-cert", paramLabel = "FILE.p12",
            description = "APNS certificate auth: present this client certificate upstream.")
    Path apnsClientCert;

    @Option(names = "--apns-client-cert-password-file", paramLabel = "FILE", description = "Its PKCS#12 password.")
    Path apnsClientCertPasswordFile;

    @Option(names = "--passthrough", description = "Relay TLS untouched: read the SNI, tunnel the bytes.")
    Boolean passthrough;

    @Option(names = "--via", paramLabel = "URL", description = "Chain: send each request as HTTP/1.1 to relay-post at URL.")
    String via;

    @Option(names = "--via-ca", paramLabel = "FILE", description = "CA trusted for the --via connection.")
    Path viaCa;

    @Option(names = "--admin-listen", paramLabel = "HOST:PORT", description = "Admin endpoint (default 127.0.0.1:9901).")
    String adminListen;

    @Option(names = "--drain-timeout", paramLabel = "DURATION", description = "How long SIGTERM waits for exchanges in flight.")
    String drainTimeout;

    @Option(names = "--log-format", paramLabel = "text|json", description = "Log format.")
    String logFormat;

    @Option(names = "--access-log", paramLabel = "stdout|off|FILE", description = "Where the access log goes.")
    String accessLog;

    @Option(names = "--print-config", description = "Print the effective config (secrets redacted) and exit.")
    boolean printConfig;

    @Option(names = {"-v", "--verbose"}, description = "Show stack traces on errors.")
    boolean verbose;

    private final PrintWriter out;
    private final PrintWriter err;

    PreCommand(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new PreCommand(out, err));
        cli.setOut(out);
        cli.setErr(err);
        cli.setUsageHelpWidth(110);
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("ERROR: push-relay pre: " + e.getMessage());
            err.println("Try 'push-relay pre --help'.");
            return 2;
        });
        return cli.execute(args);
    }

    /** The config file with the flags laid over it. */
    PreConfig loadConfig() throws ConfigException {
        ConfigOverrides o = ConfigOverrides.none();
        o = set(o, "--listen", "listen", listen);
        o = set(o, "--cert", List.of("tls", "cert"), cert);
        o = set(o, "--key", List.of("tls", "key"), key);
        o = set(o, "--proxy", List.of("proxy", "url"), proxy);
        o = set(o, "--proxy-password-file", List.of("proxy", "password-file"), proxyPasswordFile);
        o = set(o, "--proxy-ca", List.of("proxy", "ca"), proxyCa);
        o = set(o, "--upstream-ca", List.of("upstream", "ca"), upstreamCa);
        o = set(o, "--apns-client-cert", List.of("upstream", "apns-client-cert"), apnsClientCert);
        o = set(o, "--apns-client-cert-password-file", List.of("upstream", "apns-client-cert-password-file"),
                apnsClientCertPasswordFile);
        if (!routes.isEmpty()) {
            Map<String, String> table = new LinkedHashMap<>();
            for (String route : routes) {
                int eq = route.indexOf('=');
                if (eq <= 0 || eq == route.length() - 1) {
                    throw new ConfigException(new ConfigException.Problem("flag --route", "routes",
                            "expected AUTHORITY=HOST:PORT, got '" + route + "'"));
                }
                table.put(route.substring(0, eq).trim(), route.substring(eq + 1).trim());
            }
            o = o.set("--route", "routes", table);
        }
        o = set(o, "--fcm", "fcm", fcm);
        o = set(o, "--passthrough", "passthrough", passthrough);
        o = set(o, "--via", List.of("via", "url"), via);
        o = set(o, "--via-ca", List.of("via", "ca"), viaCa);
        o = set(o, "--admin-listen", List.of("admin", "listen"), adminListen);
        o = set(o, "--drain-timeout", "drain-timeout", drainTimeout);
        o = set(o, "--log-format", List.of("log", "format"), logFormat);
        o = set(o, "--access-log", List.of("log", "access-log"), accessLog);
        return ConfigLoader.load(config, PreConfig.class, o);
    }

    private static ConfigOverrides set(ConfigOverrides o, String flag, String key, Object value) {
        return value == null ? o : o.set(flag, key, value);
    }

    private static ConfigOverrides set(ConfigOverrides o, String flag, List<String> key, Object value) {
        return value == null ? o : o.set(flag, key, value);
    }

    @Override
    public Integer call() {
        PreConfig effective;
        try {
            effective = loadConfig();
        } catch (ConfigException e) {
            for (ConfigException.Problem p : e.problems()) {
                err.println("ERROR: " + p);
            }
            return 2;
        }
        if (printConfig) {
            out.print(effective.render(true));
            out.flush();
            return 0;
        }
        RoleLogging.configure(effective.log());
        PreRelay relay;
        try {
            relay = PreRelay.start(effective);
        } catch (RuntimeException e) {
            err.println("ERROR: start relay-pre: " + message(e));
            if (verbose) {
                e.printStackTrace(err);
            }
            return 1;
        }
        out.println("relay-pre listening on " + PreRelay.format(relay.address()) + " (admin "
                + PreRelay.format(relay.adminAddress()) + ")");
        out.flush();
        return serve(relay, effective.drainTimeout());
    }

    /** Runs until SIGTERM/SIGINT (drain, exit 0); SIGHUP reloads. */
    private int serve(PreRelay relay, Duration drainTimeout) {
        LinkedBlockingQueue<String> signals = new LinkedBlockingQueue<>();
        for (String name : List.of("TERM", "INT", "HUP")) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), s -> signals.add(s.getName()));
        }
        while (true) {
            String signal;
            try {
                signal = signals.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                signal = "TERM";
            }
            if (signal.equals("HUP")) {
                try {
                    PreConfig next = loadConfig();
                    relay.reload(next);
                    RoleLogging.reload(next.log());
                } catch (ConfigException e) {
                    for (ConfigException.Problem p : e.problems()) {
                        err.println("ERROR: reload: " + p);
                    }
                } catch (RuntimeException e) {
                    err.println("ERROR: reload: " + message(e) + " (kept the running config)");
                }
                continue;
            }
            err.println("relay-pre: SIG" + signal + ": draining (up to " + drainTimeout.toSeconds() + "s)");
            boolean clean = relay.drain(drainTimeout);
            relay.close();
            err.println("relay-pre: stopped" + (clean ? "" : " (drain timeout reached)"));
            return 0;
        }
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /** {@code --version}: the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = System.getProperty("push-relay.version");
            if (v == null) {
                String impl = PreCommand.class.getPackage().getImplementationVersion();
                v = "push-relay " + (impl == null ? "dev" : impl);
            }
            return new String[] {v + " (relay-pre)"};
        }
    }
}
