package io.pushrelay.core.sim;

import io.pushrelay.certs.Pem;
import io.pushrelay.core.forward.AuthorityNames;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code push-relay sim apns|fcm|proxy ...}: runs one simulator in the foreground until SIGTERM
 * or SIGINT, printing one line when it listens and a summary of its counts when it stops
 * (also from a shutdown hook, whatever ends the JVM). Exit codes: 0 stopped by a signal (or
 * help shown), 1 failed (cannot bind, unreadable certificate...), 2 usage error. Errors print
 * {@code ERROR: <what>: <cause>}; {@code -v} adds the stack trace.
 */
@Command(name = "push-relay sim", mixinStandardHelpOptions = true, version = "push-relay sim",
        subcommands = {SimCommand.Apns.class, SimCommand.Fcm.class, SimCommand.Proxy.class},
        header = {"Run a simulator: APNS, FCM (with Google's OAuth2 token endpoint), or a CONNECT proxy.", "",
            "Examples:",
            "  push-relay sim apns --listen 127.0.0.1:8443 --cert sim.pem --key sim.key --token-auth",
            "  push-relay sim fcm --listen 127.0.0.1:9443 --cert sim.pem --key sim.key",
            "  push-relay sim proxy --listen 127.0.0.1:3128 --allow-port 8443 --host api.push.apple.com=127.0.0.1",
            ""},
        description = "Each runs in the foreground until SIGTERM or Ctrl-C, then prints what it counted.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped by SIGTERM/SIGINT, or help shown", "1:failed (bind, certificate, key...)",
            "2:usage error"})
public final class SimCommand implements Callable<Integer> {
    /** Wide enough for the examples on one line each. */
    private static final int USAGE_WIDTH = 110;

    @Spec
    CommandSpec spec;

    /** Runs {@code push-relay sim ARGS} and exits with its code. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs {@code push-relay sim ARGS}; returns the exit code (blocks while a simulator runs). */
    public static int run(String... args) {
        return commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args);
    }

    /** The configured command line, writing to {@code out} and {@code err}. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new SimCommand());
        cli.setUsageHelpWidth(USAGE_WIDTH);
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine failed = e.getCommandLine();
            failed.getErr().println("ERROR: " + fullName(failed) + ": " + e.getMessage());
            failed.getErr().println("Try '" + fullName(failed) + " --help'.");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, failed, parseResult) -> {
            failed.getErr().println("ERROR: " + describe(failed, e));
            Object command = failed.getCommand();
            if (command instanceof Simulator s && s.common.verbose) {
                e.printStackTrace(failed.getErr());
            }
            failed.getErr().flush();
            return 1;
        });
        return cli;
    }

    private static String fullName(CommandLine command) {
        StringBuilder name = new StringBuilder(command.getCommandName());
        for (CommandLine parent = command.getParent(); parent != null; parent = parent.getParent()) {
            name.insert(0, parent.getCommandName() + " ");
        }
        return name.toString();
    }

    /** Our own exceptions read {@code <what>: <cause>} already; anything else is named by its command. */
    private static String describe(CommandLine failed, Exception e) {
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
                || e instanceof io.pushrelay.certs.CertsException || e instanceof IOException) {
            return e.getMessage();
        }
        return fullName(failed) + ": " + e;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        spec.commandLine().getErr().println("ERROR: push-relay sim: name a simulator: apns, fcm or proxy");
        return 2;
    }

    /** Options every simulator takes. */
    static final class Common {
        @Option(names = "--listen", required = true, paramLabel = "HOST:PORT",
                description = "Address to listen on; port 0 picks a free one (the line printed names it).")
        String listen;

        @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
                description = "Event loop threads (default: one per core).")
        int threads;

        @Option(names = {"-v", "--verbose"}, description = "Show stack traces with errors.")
        boolean verbose;

        InetSocketAddress listenAddress(CommandSpec spec) {
            String host = AuthorityNames.hostOf(listen);
            int port = AuthorityNames.portOf(listen, -1);
            if (host.isEmpty() || port < 0 && !listen.endsWith(":0")) {
                throw new ParameterException(spec.commandLine(),
                        "Invalid value for option '--listen': expected HOST:PORT, got '" + listen + "'");
            }
            return new InetSocketAddress(host, Math.max(port, 0));
        }
    }

    /** A subcommand that runs one simulator until a signal. */
    abstract static class Simulator implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Common common = new Common();

        /**
         * Prints {@code listening}, waits for SIGTERM/SIGINT, closes the simulator, prints
         * {@code <name> simulator stopped: <summary>} once (here, or from the shutdown hook when
         * the JVM ends otherwise), and returns 0.
         */
        int runUntilStopped(String name, String listening, AutoCloseable simulator, Supplier<String> summary)
                throws InterruptedException {
            PrintWriter out = spec.commandLine().getOut();
            out.println(listening);
            out.flush();
            AtomicBoolean stopped = new AtomicBoolean();
            Runnable stop = () -> {
                if (stopped.compareAndSet(false, true)) {
                    try {
                        simulator.close();
                    } catch (Exception e) {
                        spec.commandLine().getErr().println("ERROR: stop " + name + " simulator: " + e.getMessage());
                    }
                    out.println(name + " simulator stopped: " + summary.get());
                    out.flush();
                }
            };
            Thread hook = new Thread(stop, name + "-sim-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            CountDownLatch signalled = new CountDownLatch(1);
            // A handled SIGTERM lets call() return 0; an unhandled one would end the JVM with 143.
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> signalled.countDown());
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> signalled.countDown());
            signalled.await();
            stop.run();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down: the hook has run or will find the work done
            }
            return 0;
        }

        static List<String> or(List<String> values) {
            return values == null ? List.of() : values;
        }
    }

    @Command(name = "apns", mixinStandardHelpOptions = true,
            header = {"Run the APNS simulator: HTTP/2 over TLS, ALPN h2 or prior knowledge (Pushy's default).", "",
                "Examples:",
                "  push-relay sim apns --listen 127.0.0.1:8443 --cert sim.pem --key sim.key --token-auth",
                "  push-relay sim apns --listen 127.0.0.1:8443 --cert sim.pem --key sim.key \\",
                "      --verify-key TEAM123456:KEY1234567=AuthKey.pub.pem --max-streams 1000 --initial-max-streams 1",
                "  push-relay sim apns --listen 127.0.0.1:8443 --cert sim.pem --key sim.key \\",
                "      --client-ca provider-ca.pem --certificate-topic com.example.app",
                "  push-relay sim apns --listen 127.0.0.1:8443 --cert sim.pem --key sim.key --delay 50 \\",
                "      --goaway-after 100",
                ""},
            description = {"Answers POST /3/device/<token> like APNS: 200 with apns-id and apns-unique-id, or an "
                + "APNS status and {\"reason\":\"...\"}."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:stopped by SIGTERM/SIGINT, or help shown", "1:failed", "2:usage error"})
    static final class Apns extends Simulator {
        @Option(names = "--cert", required = true, paramLabel = "FILE", description = "Server certificate chain (PEM).")
        Path cert;

        @Option(names = "--key", required = true, paramLabel = "FILE", description = "Server private key (PEM).")
        Path key;

        @Option(names = "--token-auth", description = "Require authorization: bearer <JWT> (one team per connection).")
        boolean tokenAuth;

        @Option(names = "--verify-key", paramLabel = "TEAM:KEYID=FILE",
                description = "Verify JWT signatures of this key id (PEM public key); implies --token-auth. "
                    + "Repeatable.")
        List<String> verifyKeys;

        @Option(names = "--client-ca", paramLabel = "FILE",
                description = "Require a client certificate issued by this CA (PEM): certificate-based auth.")
        Path clientCa;

        @Option(names = "--certificate-topic", paramLabel = "TOPIC",
                description = "With a client certificate, the topic when apns-topic is absent.")
        String certificateTopic;

        @Option(names = "--max-streams", paramLabel = "N", defaultValue = "1000",
                description = "SETTINGS_MAX_CONCURRENT_STREAMS (default: ${DEFAULT-VALUE}).")
        int maxStreams;

        @Option(names = "--initial-max-streams", paramLabel = "N",
                description = "SETTINGS_MAX_CONCURRENT_STREAMS until the first answer, then --max-streams (APNS: 1).")
        Integer initialMaxStreams;

        @Option(names = "--delay", paramLabel = "MS", defaultValue = "0", description = "Hold every answer this long.")
        long delayMillis;

        @Option(names = "--goaway-after", paramLabel = "N", defaultValue = "0",
                description = "Send GOAWAY when a connection's Nth stream arrives.")
        int goAwayAfter;

        @Option(names = "--drop-after", paramLabel = "N", defaultValue = "0",
                description = "Drop the TCP connection when its (N+1)th stream arrives.")
        int dropAfter;

        @Option(names = "--unregistered", paramLabel = "TOKEN", description = "Answer 410 Unregistered. Repeatable.")
        List<String> unregistered;

        @Option(names = "--bad-token", paramLabel = "TOKEN", description = "Answer 400 BadDeviceToken. Repeatable.")
        List<String> badTokens;

        @Override
        public Integer call() throws Exception {
            InetSocketAddress listen = common.listenAddress(spec);
            ApnsSimConfig.Builder builder = ApnsSimConfig.builder(ServerIdentity.fromPem(cert, key))
                    .listen(listen)
                    .tokenAuth(tokenAuth)
                    .certificateTopic(certificateTopic)
                    .maxConcurrentStreams(initialMaxStreams != null ? initialMaxStreams : maxStreams, maxStreams)
                    .answerDelay(Duration.ofMillis(delayMillis))
                    .goAwayAfterStreams(goAwayAfter)
                    .dropAfterStreams(dropAfter)
                    .ioThreads(common.threads);
            for (String spec : or(verifyKeys)) {
                builder.tokenKey(parseKey(spec));
            }
            if (clientCa != null) {
                builder.clientCa(Pem.readCertificates(clientCa));
            }
            or(unregistered).forEach(builder::unregistered);
            or(badTokens).forEach(builder::badToken);
            ApnsSimulator sim = new ApnsSimulator();
            sim.start(builder.build());
            return runUntilStopped("apns", sim.describe(), sim, () -> sim.snapshot().summary());
        }

        private ApnsSimConfig.TokenKey parseKey(String value) {
            int colon = value.indexOf(':');
            int eq = value.indexOf('=');
            if (colon <= 0 || eq <= colon + 1 || eq == value.length() - 1) {
                throw new ParameterException(spec.commandLine(),
                        "Invalid value for option '--verify-key': expected TEAM:KEYID=FILE, got '" + value + "'");
            }
            return ApnsSimConfig.TokenKey.fromPem(value.substring(0, colon), value.substring(colon + 1, eq),
                    Path.of(value.substring(eq + 1)));
        }
    }

    @Command(name = "fcm", mixinStandardHelpOptions = true,
            header = {"Run the FCM simulator: messages:send and the OAuth2 /token endpoint, h2 and HTTP/1.1.", "",
                "Examples:",
                "  push-relay sim fcm --listen 127.0.0.1:9443 --cert sim.pem --key sim.key",
                "  push-relay sim fcm --listen 127.0.0.1:9443 --cert sim.pem --key sim.key --require-issued-tokens \\",
                "      --project my-project --unregistered stale-registration-token",
                ""},
            description = {"Serves both fcm.googleapis.com and oauth2.googleapis.com: name the certificate for both."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:stopped by SIGTERM/SIGINT, or help shown", "1:failed", "2:usage error"})
    static final class Fcm extends Simulator {
        @Option(names = "--cert", required = true, paramLabel = "FILE", description = "Server certificate chain (PEM).")
        Path cert;

        @Option(names = "--key", required = true, paramLabel = "FILE", description = "Server private key (PEM).")
        Path key;

        @Option(names = "--project", paramLabel = "ID", description = "Only these projects may send. Repeatable.")
        List<String> projects;

        @Option(names = "--require-issued-tokens",
                description = "Accept only access tokens issued by this simulator's POST /token.")
        boolean requireIssuedTokens;

        @Option(names = "--unregistered", paramLabel = "TOKEN",
                description = "Answer 404 NOT_FOUND (UNREGISTERED) for this registration token. Repeatable.")
        List<String> unregistered;

        @Option(names = "--invalid-token", paramLabel = "TOKEN",
                description = "Answer 400 INVALID_ARGUMENT for this registration token. Repeatable.")
        List<String> invalidTokens;

        @Option(names = "--delay", paramLabel = "MS", defaultValue = "0", description = "Hold every answer this long.")
        long delayMillis;

        @Override
        public Integer call() throws Exception {
            InetSocketAddress listen = common.listenAddress(spec);
            FcmSimConfig.Builder builder = FcmSimConfig.builder(ServerIdentity.fromPem(cert, key))
                    .listen(listen)
                    .requireIssuedTokens(requireIssuedTokens)
                    .answerDelay(Duration.ofMillis(delayMillis))
                    .ioThreads(common.threads);
            or(projects).forEach(builder::project);
            or(unregistered).forEach(builder::unregistered);
            or(invalidTokens).forEach(builder::invalidToken);
            FcmSimulator sim = new FcmSimulator();
            sim.start(builder.build());
            return runUntilStopped("fcm", sim.describe(), sim, () -> sim.snapshot().summary());
        }
    }

    @Command(name = "proxy", mixinStandardHelpOptions = true,
            header = {"Run a CONNECT proxy, a corporate-proxy stand-in when Squid is not installed.", "",
                "Examples:",
                "  push-relay sim proxy --listen 127.0.0.1:3128 --allow-port 8443 --host api.push.apple.com=127.0.0.1",
                "  push-relay sim proxy --listen 127.0.0.1:3128 --user relay --password-file proxy.pass \\",
                "      --allow-port 443 --allow-port 8443",
                ""},
            description = {"CONNECT only; logs one line per tunnel when it closes, like Squid's access log."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {"0:stopped by SIGTERM/SIGINT, or help shown", "1:failed", "2:usage error"})
    static final class Proxy extends Simulator {
        @Option(names = "--user", paramLabel = "USER", description = "Require Basic auth as this user.")
        String user;

        @Option(names = "--password-file", paramLabel = "FILE", description = "The password (first line) for --user.")
        Path passwordFile;

        @Option(names = "--allow-port", paramLabel = "PORT",
                description = "Target port CONNECT may reach (default: 443 only). Repeatable.")
        List<Integer> allowPorts;

        @Option(names = "--host", paramLabel = "NAME=ADDR",
                description = "Resolve NAME to ADDR before DNS, like Squid's hosts_file. Repeatable.")
        Map<String, String> hosts;

        @Option(names = "--connect-timeout", paramLabel = "MS", defaultValue = "5000",
                description = "Timeout of the TCP connection to the target (default: ${DEFAULT-VALUE}).")
        long connectTimeoutMillis;

        @Override
        public Integer call() throws Exception {
            if ((user == null) != (passwordFile == null)) {
                throw new ParameterException(spec.commandLine(), "--user and --password-file go together");
            }
            ConnectProxyConfig.Builder builder = ConnectProxyConfig.builder()
                    .listen(common.listenAddress(spec))
                    .connectTimeout(Duration.ofMillis(connectTimeoutMillis))
                    .ioThreads(common.threads);
            if (user != null) {
                builder.basicAuth(user, readPassword(passwordFile));
            }
            for (int port : allowPorts == null ? new ArrayList<Integer>() : allowPorts) {
                builder.allowPort(port);
            }
            (hosts == null ? new LinkedHashMap<String, String>() : hosts).forEach(builder::host);
            ConnectProxySimulator proxy = new ConnectProxySimulator();
            proxy.start(builder.build());
            return runUntilStopped("proxy", proxy.describe(), proxy, () -> proxy.snapshot().summary());
        }

        private static String readPassword(Path file) throws IOException {
            try {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                int end = text.indexOf('\n');
                String password = (end < 0 ? text : text.substring(0, end)).replace("\r", "");
                if (password.isEmpty()) {
                    throw new IOException("read " + file + ": empty password");
                }
                return password;
            } catch (java.nio.file.NoSuchFileException e) {
                throw new IOException("read " + file + ": no such file", e);
            } catch (java.nio.charset.MalformedInputException e) {
                throw new IOException("read " + file + ": not UTF-8", e);
            }
        }
    }
}
