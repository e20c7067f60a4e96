package io.pushrelay.post;

import io.pushrelay.core.cli.RoleFlags;
import io.pushrelay.core.cli.RoleRunner;
import io.pushrelay.core.config.ConfigException;
import io.pushrelay.core.config.ConfigLoader;
import io.pushrelay.core.config.ConfigOverrides;
import io.pushrelay.core.config.PostConfig;
import io.pushrelay.core.forward.Downstream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
    static final String NAME = "push-relay post";

    @Mixin
    RoleFlags flags;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Where to listen (default 0.0.0.0:8443).")
    String listen;

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

    @Option(names = "--plaintext", description = "Cleartext HTTP/1.1 instead of TLS (a proxy on a trusted segment only).")
    Boolean plaintext;

    @Option(names = "--admin-listen", paramLabel = "HOST:PORT", description = "Admin endpoint (default 127.0.0.1:9902).")
    String adminListen;

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
        return RoleRunner.execute(new PostCommand(out, err), NAME, out, err, args);
    }

    /** The config file with the flags laid over it. */
    PostConfig loadConfig() throws ConfigException {
        ConfigOverrides o = flags.overrides();
        o = RoleFlags.set(o, "--listen", List.of("listen"), listen);
        o = RoleFlags.set(o, "--client-ca", List.of("client-ca"), clientCa);
        o = RoleFlags.set(o, "--allow-client", List.of("allow-clients"), allowClients.isEmpty() ? null : allowClients);
        o = RoleFlags.set(o, "--allow-source", List.of("allow-sources"), allowSources.isEmpty() ? null : allowSources);
        o = RoleFlags.set(o, "--plaintext", List.of("plaintext"), plaintext);
        o = RoleFlags.set(o, "--admin-listen", List.of("admin", "listen"), adminListen);
        return ConfigLoader.load(flags.config(), PostConfig.class, o);
    }

    @Override
    public Integer call() {
        return new RoleRunner<PostConfig, PostRelay>("relay-post", flags, out, err).run(this::loadConfig, PostRelay::start,
                relay -> "relay-post listening on " + Downstream.format(relay.address()) + " ("
                        + relay.describeListener() + "; admin " + Downstream.format(relay.adminAddress()) + ")");
    }

    /** {@code --version}: the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return RoleRunner.version(PostCommand.class, "relay-post");
        }
    }
}
