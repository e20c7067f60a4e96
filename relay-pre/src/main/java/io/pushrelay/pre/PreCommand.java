package io.pushrelay.pre;

import io.pushrelay.core.cli.RoleFlags;
import io.pushrelay.core.cli.RoleRunner;
import io.pushrelay.core.config.ConfigException;
import io.pushrelay.core.config.ConfigLoader;
import io.pushrelay.core.config.ConfigOverrides;
import io.pushrelay.core.config.PreConfig;
import io.pushrelay.core.forward.Downstream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
    static final String NAME = "push-relay pre";

    @Mixin
    RoleFlags flags;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Where to listen (default 0.0.0.0:443).")
    String listen;

    @Option(names = "--proxy-password-file", paramLabel = "FILE", description = "The proxy user's password (first line).")
    Path proxyPasswordFile;

    @Option(names = "--proxy-ca", paramLabel = "FILE", description = "CA of an https:// proxy's own certificate.")
    Path proxyCa;

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

    private final PrintWriter out;
    private final PrintWriter err;

    PreCommand(PrintWriter out, PrintWriter err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Parses {@code args} and runs; returns the exit code. For tests and {@link #main}. */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        return RoleRunner.execute(new PreCommand(out, err), NAME, out, err, args);
    }

    /** The config file with the flags laid over it. */
    PreConfig loadConfig() throws ConfigException {
        ConfigOverrides o = flags.overrides();
        o = RoleFlags.set(o, "--listen", List.of("listen"), listen);
        o = RoleFlags.set(o, "--proxy-password-file", List.of("proxy", "password-file"), proxyPasswordFile);
        o = RoleFlags.set(o, "--proxy-ca", List.of("proxy", "ca"), proxyCa);
        o = RoleFlags.set(o, "--apns-client-cert", List.of("upstream", "apns-client-cert"), apnsClientCert);
        o = RoleFlags.set(o, "--apns-client-cert-password-file", List.of("upstream", "apns-client-cert-password-file"),
                apnsClientCertPasswordFile);
        o = RoleFlags.set(o, "--passthrough", List.of("passthrough"), passthrough);
        o = RoleFlags.set(o, "--via", List.of("via", "url"), via);
        o = RoleFlags.set(o, "--via-ca", List.of("via", "ca"), viaCa);
        o = RoleFlags.set(o, "--admin-listen", List.of("admin", "listen"), adminListen);
        return ConfigLoader.load(flags.config(), PreConfig.class, o);
    }

    @Override
    public Integer call() {
        return new RoleRunner<PreConfig, PreRelay>("relay-pre", flags, out, err).run(this::loadConfig, PreRelay::start,
                relay -> "relay-pre listening on " + Downstream.format(relay.address()) + " (admin "
                        + Downstream.format(relay.adminAddress()) + ")");
    }

    /** {@code --version}: the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return RoleRunner.version(PreCommand.class, "relay-pre");
        }
    }
}
