package io.pushrelay.post;

import io.pushrelay.core.config.ConfigException;
import io.pushrelay.core.config.ConfigLoader;
import io.pushrelay.core.config.ConfigOverrides;
import io.pushrelay.core.config.PostConfig;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.observe.logging.LogSetup;
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
 * {@code push-relay post}: runs the post-proxy relay ({@link PostRelay}) in the foreground.
 * Prints {@code relay-post listening on ADDR (...)} once bound. SIGTERM or SIGINT drain it (stop
 * accepting, finish exchanges in flight within {@code drain-timeout}) and exit 0; SIGHUP reloads
 * certificates, routes and restrictions from the config file and flags without dropping a
 * connection. Only {@link #main} calls {@link System#exit}.
 */
@Command(name = "push-relay post", mixinStandardHelpOptions = true,
        subcommands = PostCheckCommand.class, modelTransformer = io.pushrelay.core.check.ParentFlags.class,
        versionProvider = PostCommand.Version.class,
        header = {"Run the post-proxy relay: HTTP/1.1 in from a legacy proxy, HTTP/2 out to APNS/FCM.", "",
            "Examples:",
            "  push-relay post --config /etc/push-relay/post.yaml",
            "  push-relay post --listen 0.0.0.0:8443 --cert post/server.pem --key post/server.key \\",
            "      --client-ca clients-ca.pem --allow-client legacy-proxy.corp.example --allow-source 10.1.2.3",
            "  push-relay post --plaintext --listen 10.0.0.5:8080 --allow-source 10.0.0.0/24",
            "  push-relay post --config post.yaml --fcm --route api.push.apple.com=10.9.9.9:443 --print-config",
            ""},
        description = {"The legacy proxy sends HTTP/1.1 to relay-post: origin-form with Host, absolute-form "
                + "(relay-post as the proxy's parent), or CONNECT host:443 followed by TLS that relay-post "
                + "terminates with its own certificate for that name. Each request becomes one HTTP/2 stream "
                + "to the route's upstream. Only routed hosts are relayed (anything else: 403), only from "
                + "allowed sources (anything else is closed at accept) and, with --client-ca, only from "
                + "allowed client certificates.",
            "",
            "Flags override the config file's keys; a repeatable flag replaces the whole list or mapping. "
                + "Routes default to the three APNS hosts, each to itself on 443; a route's HOST:PORT is only "
                + "where to connect: TLS SNI and the certificate check always use the route's name.", ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped by SIGTERM/SIGINT after draining, or help, version or --print-config shown",
            "1:failed (bind, certificate, key...)", "2:usage or config error"})
public final class PostCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML config file (see scripts/post.example.yaml).")
    Path config;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Where to listen (default 0.0.0.0:8443).")
    String listen;

    @Option(names = "--cert", paramLabel = "FILE", description = "Certificate chain (PEM, leaf first) shown downstream.")
    Path cert;

    @Option(names = "--key", paramLabel = "FILE", description = "Its private key (PEM, PKCS#8).")
    Path key;

    @Option(names = "--client-ca", paramLabel = "FILE",
            description = "Mutual TLS: require a client certificate signed by this CA (PEM).")
    Path clientCa;

    @Option(names = "--allow-client", paramLabel = "NAME",
            description = "Client certificate name allowed (SAN DNS name, urn:push-relay:client:NAME, or CN); "
                    + "repeatable. Needs --client-ca. Default: any certificate the CA signed.")
    List<String> allowClients = new ArrayList<>();

    @Option(names = "--allow-source", paramLabel = "CIDR",
            description = "Source address range allowed to connect (10.1.2.3 alone is /32); repeatable. "
                    + "Default: loopback and private ranges.")
    List<String> allowSources = new ArrayList<>();

    @Option(names = "--route", paramLabel = "AUTHORITY=HOST:PORT",
            description = "Route AUTHORITY to HOST:PORT (repeatable; replaces the default routes).")
    List<String> routes = new ArrayList<>();

    @Option(names = "--upstream-ca", paramLabel = "FILE",
            description = "Extra CA trusted for upstream TLS, besides the system's.")
    Path upstreamCa;

    @Option(names = "--proxy", paramLabel = "URL",
            description = "Egress proxy for the upstream connections: http://[user[:password]@]host:port or https://...")
    String proxy;

    @Option(names = "--plaintext", description = "Cleartext HTTP/1.1 instead of TLS (a proxy on a trusted segment only).")
    Boolean plaintext;

    @Option(names = "--admin-listen", paramLabel = "HOST:PORT", description = "Admin endpoint (default 127.0.0.1:9902).")
    String adminListen;

    @Option(names = "--fcm", description = "Also route fcm.googleapis.com and oauth2.googleapis.com.")
    Boolean fcm;

    @Option(names = "--print-config", description = "Print the effective config (secrets redacted) and exit.")
    boolean printConfig;

    @Option(names = {"-v", "--verbose"}, description = "Show stack traces on errors.")
    boolean verbose;

    private final PrintWriter out;
    private final PrintWriter err;

    PostCommand(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Parses {@code args} and runs; returns the exit code. For tests and {@link #main}. */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new PostCommand(out, err));
        cli.setOut(out);
        cli.setErr(err);
        cli.setUsageHelpWidth(110);
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("ERROR: push-relay post: " + e.getMessage());
            err.println("Try 'push-relay post --help'.");
            return 2;
        });
        return cli.execute(args);
    }

    /** The config file with the flags laid over it. */
    PostConfig loadConfig() throws ConfigException {
        ConfigOverrides o = ConfigOverrides.none();
        o = set(o, "--listen", List.of("listen"), listen);
        o = set(o, "--cert", List.of("tls", "cert"), cert);
        o = set(o, "--key", List.of("tls", "key"), key);
        o = set(o, "--client-ca", List.of("client-ca"), clientCa);
        o = set(o, "--allow-client", List.of("allow-clients"), allowClients.isEmpty() ? null : allowClients);
        o = set(o, "--allow-source", List.of("allow-sources"), allowSources.isEmpty() ? null : allowSources);
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
            o = o.set("--route", List.of("routes"), table);
        }
        o = set(o, "--upstream-ca", List.of("upstream", "ca"), upstreamCa);
        o = set(o, "--proxy", List.of("proxy", "url"), proxy);
        o = set(o, "--plaintext", List.of("plaintext"), plaintext);
        o = set(o, "--admin-listen", List.of("admin", "listen"), adminListen);
        o = set(o, "--fcm", List.of("fcm"), fcm);
        return ConfigLoader.load(config, PostConfig.class, o);
    }

    private static ConfigOverrides set(ConfigOverrides o, String flag, List<String> key, Object value) {
        return value == null ? o : o.set(flag, key, value);
    }

    @Override
    public Integer call() {
        PostConfig effective;
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
        LogSetup.configure(effective.log());
        PostRelay relay;
        try {
            relay = PostRelay.start(effective);
        } catch (RuntimeException e) {
            err.println("ERROR: start relay-post: " + message(e));
            if (verbose) {
                e.printStackTrace(err);
            }
            return 1;
        }
        out.println("relay-post listening on " + Downstream.format(relay.address()) + " (" + relay.describeListener()
                + "; admin " + Downstream.format(relay.adminAddress()) + ")");
        out.flush();
        return serve(relay);
    }

    /** Runs until SIGTERM/SIGINT (drain, exit 0); SIGHUP reloads. */
    private int serve(PostRelay relay) {
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
                reload(relay);
                continue;
            }
            Duration timeout = relay.config().drainTimeout();
            err.println("relay-post: SIG" + signal + ": draining (up to " + timeout.toSeconds() + "s)");
            boolean clean = relay.drain(timeout);
            relay.close();
            err.println("relay-post: stopped" + (clean ? "" : " (drain timeout reached)"));
            return 0;
        }
    }

    private void reload(PostRelay relay) {
        try {
            PostConfig next = loadConfig();
            relay.reload(next);
            LogSetup.configure(next.log());
            LogSetup.reopen();
        } catch (ConfigException e) {
            for (ConfigException.Problem p : e.problems()) {
                err.println("ERROR: reload: " + p);
            }
        } catch (RuntimeException e) {
            err.println("ERROR: reload: " + message(e) + " (kept the running config)");
            if (verbose) {
                e.printStackTrace(err);
            }
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
                String impl = PostCommand.class.getPackage().getImplementationVersion();
                v = "push-relay " + (impl == null ? "dev" : impl);
            }
            return new String[] {v + " (relay-post)"};
        }
    }
}
