package io.pushrelay.core.demo;

import io.pushrelay.certs.CertificateAuthority;
import io.pushrelay.core.sim.ApnsSimConfig;
import io.pushrelay.core.sim.ApnsSimulator;
import io.pushrelay.core.sim.ConnectProxyConfig;
import io.pushrelay.core.sim.ConnectProxySimulator;
import io.pushrelay.core.sim.FcmSimConfig;
import io.pushrelay.core.sim.FcmSimulator;
import io.pushrelay.core.sim.ServerIdentity;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code push-relay demo}: the whole chain on loopback, on built-in defaults. Makes fresh PKI,
 * starts the APNS and FCM simulators, a corporate proxy (Squid when installed, else the
 * built-in CONNECT proxy simulator), relay-post, and two relay-pre (one through the proxy
 * straight to APNS, one chained {@code --via} relay-post through the proxy); then sends a
 * stream of notifications down each path with the JDK's HTTP/2 client (in its own JVM, whose
 * hosts file points {@code api.push.apple.com} at the relay, as the push host's
 * {@code /etc/hosts} would) and prints a table per path. Exit 0 when every notification was
 * answered 200.
 */
@Command(name = "push-relay demo", mixinStandardHelpOptions = true, versionProvider = DemoCommand.Version.class,
        header = {"Run the whole chain on loopback and print what it measured.", "",
            "Examples:",
            "  push-relay demo",
            "  push-relay demo --count 5000 --in-flight 100",
            "  push-relay demo --keep-running",
            ""},
        description = {"Everything binds 127.0.0.1 on free ports and stops when the demo ends; files go to a "
                + "temporary folder (kept with --keep-running or --dir)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every notification answered 200", "1:something failed (the message says what)",
            "2:usage error"})
public final class DemoCommand implements Callable<Integer> {
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern RESULT = Pattern.compile(
            "RESULT sent=(\\d+) answered=(\\d+) ok=(\\d+) errors=(\\d+) p50_ms=([0-9.NaN]+) p99_ms=([0-9.NaN]+)"
                    + " statuses=(\\S*) warm_up=(\\d+) warm_up_ok=(\\d+)");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    @Option(names = "--count", paramLabel = "N", description = "Notifications per path (default ${DEFAULT-VALUE}).")
    int count = 1000;

    @Option(names = "--in-flight", paramLabel = "N", description = "At most N in flight per path (default ${DEFAULT-VALUE}).")
    int inFlight = 10;

    @Option(names = "--warm-up", paramLabel = "N", description = "Notifications per path sent before the measured ones "
            + "(checked like them, left out of p50/p99): a cold JVM's first second is start-up cost, not what a relay "
            + "that runs for weeks gives (default ${DEFAULT-VALUE}).")
    int warmUp = 500;

    @Option(names = "--keep-running", description = "Leave everything up and print curl lines to poke it; Ctrl-C stops.")
    boolean keepRunning;

    @Option(names = "--dir", paramLabel = "DIR", description = "Work folder (default: a new temporary folder).")
    Path dir;

    @Option(names = "--proxy", paramLabel = "auto|squid|sim", description = "The corporate proxy (default ${DEFAULT-VALUE}).")
    String proxyKind = "auto";

    private final PrintWriter out;
    private final Deque<AutoCloseable> running = new ArrayDeque<>();

    DemoCommand(PrintWriter out) {
        this.out = out;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        CommandLine cli = new CommandLine(new DemoCommand(out));
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("ERROR: push-relay demo: " + e.getMessage());
            err.println("Try 'push-relay demo --help'.");
            return 2;
        });
        cli.setExecutionExceptionHandler((e, c, p) -> {
            err.println("ERROR: demo: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            return 1;
        });
        System.exit(cli.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (count < 1 || inFlight < 1 || warmUp < 0) {
            throw new CommandLine.ParameterException(new CommandLine(this),
                    "--count and --in-flight must be at least 1, --warm-up at least 0");
        }
        Path work = dir != null ? Files.createDirectories(dir)
                : Files.createTempDirectory("push-relay-demo-");
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "demo-stop"));
        try {
            return run(work.toAbsolutePath());
        } finally {
            stopAll();
        }
    }

    private int run(Path work) throws Exception {
        Launcher launcher = Launcher.find();
        say("push-relay demo: work folder " + work);

        // PKI: "apple" stands in for Apple's and Google's CA; "relay" is the CA the push host trusts.
        Path apple = Files.createDirectories(work.resolve("apple-ca"));
        CertificateAuthority appleCa = CertificateAuthority.create(
                CertificateAuthority.Options.defaults().withName("demo stand-in for Apple's CA"));
        appleCa.save(apple, null, true);
        appleCa.issueServer(CertificateAuthority.LeafOptions.server("api.push.apple.com", "api.sandbox.push.apple.com",
                "fcm.googleapis.com", "oauth2.googleapis.com").withIps("127.0.0.1"))
                .save(apple, "upstream", null, true);
        Path relay = Files.createDirectories(work.resolve("relay-ca"));
        CertificateAuthority relayCa = CertificateAuthority.create(
                CertificateAuthority.Options.defaults().withName("push-relay demo CA"));
        relayCa.save(relay, null, true);
        relayCa.issueServer(CertificateAuthority.LeafOptions.server("api.push.apple.com", "api.sandbox.push.apple.com",
                "api.development.push.apple.com").withIps("127.0.0.1")).save(relay, "pre", null, true);
        relayCa.issueServer(CertificateAuthority.LeafOptions.server("api.push.apple.com", "fcm.googleapis.com",
                "oauth2.googleapis.com").withIps("127.0.0.1")).save(relay, "post", null, true);
        say("  PKI: " + apple + " (upstream stand-in), " + relay + " (the relay CA the push host trusts)");

        ServerIdentity upstreamIdentity = ServerIdentity.fromPem(apple.resolve("upstream.pem"), apple.resolve("upstream.key"));
        ApnsSimulator apns = new ApnsSimulator();
        running.push(apns);
        InetSocketAddress apnsAddress = apns.start(ApnsSimConfig.builder(upstreamIdentity).build());
        FcmSimulator fcm = new FcmSimulator();
        running.push(fcm);
        InetSocketAddress fcmAddress = fcm.start(FcmSimConfig.builder(upstreamIdentity).build());
        say("  APNS simulator on 127.0.0.1:" + apnsAddress.getPort() + ", FCM simulator on 127.0.0.1:"
                + fcmAddress.getPort());

        // relay-post first: relay-pre's --via needs its port.
        Path postConfig = work.resolve("post.yaml");
        Files.writeString(postConfig, String.join("\n",
                "# relay-post for the demo: HTTP/1.1 (or h2) in, h2 out to the simulators.",
                "listen: 127.0.0.1:0",
                "tls: {cert: " + relay.resolve("post.pem") + ", key: " + relay.resolve("post.key") + "}",
                "routes:",
                "  api.push.apple.com: 127.0.0.1:" + apnsAddress.getPort(),
                "  fcm.googleapis.com: 127.0.0.1:" + fcmAddress.getPort(),
                "  oauth2.googleapis.com: 127.0.0.1:" + fcmAddress.getPort(),
                "upstream: {ca: " + apple.resolve("ca.pem") + "}",
                "admin: {listen: 127.0.0.1:0}",
                "log: {access-log: " + work.resolve("post-access.log") + "}",
                ""), StandardCharsets.UTF_8);
        DemoProcess post = launcher.start("relay-post", work.resolve("post.log"), "post", "--config", postConfig.toString());
        running.push(post);

        List<Integer> proxyPorts = new ArrayList<>(List.of(apnsAddress.getPort(), fcmAddress.getPort()));
        int postPort = Integer.parseInt(post.await(LISTENING, START_TIMEOUT));
        proxyPorts.add(postPort);
        say("  relay-post on 127.0.0.1:" + postPort + " (log " + post.log() + ")");

        String proxyUrl;
        String proxyName;
        Optional<String> squid = DemoSquid.binary();
        boolean useSquid = switch (proxyKind) {
            case "squid" -> {
                if (squid.isEmpty()) {
                    throw new IllegalStateException("--proxy squid: squid is not installed (apt-get install squid-openssl)");
                }
                yield true;
            }
            case "sim" -> false;
            case "auto" -> squid.isPresent();
            default -> throw new CommandLine.ParameterException(new CommandLine(this),
                    "--proxy must be auto, squid or sim, got '" + proxyKind + "'");
        };
        if (useSquid) {
            Path squidDir = Files.createDirectories(work.resolve("squid"));
            DemoSquid s = DemoSquid.start(squid.get(), squidDir, proxyPorts,
                    List.of("api.push.apple.com", "fcm.googleapis.com", "oauth2.googleapis.com"));
            running.push(s);
            proxyUrl = "http://127.0.0.1:" + s.port();
            proxyName = "Squid (" + squid.get() + "), access log " + s.accessLog();
        } else {
            ConnectProxyConfig.Builder b = ConnectProxyConfig.builder();
            proxyPorts.forEach(b::allowPort);
            for (String name : List.of("api.push.apple.com", "fcm.googleapis.com", "oauth2.googleapis.com")) {
                b.host(name, "127.0.0.1");
            }
            ConnectProxySimulator sim = new ConnectProxySimulator();
            running.push(sim);
            InetSocketAddress a = sim.start(b.build());
            proxyUrl = "http://127.0.0.1:" + a.getPort();
            proxyName = "the built-in CONNECT proxy simulator (Squid is not installed)";
        }
        say("  corporate proxy: " + proxyName + " on " + proxyUrl);

        Path direct = work.resolve("pre-direct.yaml");
        Files.writeString(direct, String.join("\n",
                "# relay-pre for the demo: terminate TLS as api.push.apple.com, CONNECT through the proxy.",
                "listen: 127.0.0.1:0",
                "tls: {cert: " + relay.resolve("pre.pem") + ", key: " + relay.resolve("pre.key") + "}",
                "proxy: {url: \"" + proxyUrl + "\"}",
                "routes:",
                "  api.push.apple.com: api.push.apple.com:" + apnsAddress.getPort(),
                "upstream: {ca: " + apple.resolve("ca.pem") + "}",
                "admin: {listen: 127.0.0.1:0}",
                "log: {access-log: " + work.resolve("pre-direct-access.log") + "}",
                ""), StandardCharsets.UTF_8);
        Path chained = work.resolve("pre-via.yaml");
        Files.writeString(chained, String.join("\n",
                "# relay-pre for the demo, chained: HTTP/1.1 through the proxy to relay-post.",
                "listen: 127.0.0.1:0",
                "tls: {cert: " + relay.resolve("pre.pem") + ", key: " + relay.resolve("pre.key") + "}",
                "proxy: {url: \"" + proxyUrl + "\"}",
                "via: {url: \"https://127.0.0.1:" + postPort + "\", ca: " + relay.resolve("ca.pem") + "}",
                "admin: {listen: 127.0.0.1:0}",
                "log: {access-log: " + work.resolve("pre-via-access.log") + "}",
                ""), StandardCharsets.UTF_8);
        DemoProcess preDirect = launcher.start("relay-pre (proxy)", work.resolve("pre-direct.log"), "pre",
                "--config", direct.toString());
        running.push(preDirect);
        DemoProcess preVia = launcher.start("relay-pre (via relay-post)", work.resolve("pre-via.log"), "pre",
                "--config", chained.toString());
        running.push(preVia);
        int directPort = Integer.parseInt(preDirect.await(LISTENING, START_TIMEOUT));
        int viaPort = Integer.parseInt(preVia.await(LISTENING, START_TIMEOUT));
        say("  relay-pre on 127.0.0.1:" + directPort + " (=> proxy => APNS), relay-pre on 127.0.0.1:" + viaPort
                + " (=> proxy => relay-post => APNS)");

        Map<String, Integer> paths = new LinkedHashMap<>();
        paths.put("push service -> relay-pre -> proxy -> APNS", directPort);
        paths.put("push service -> relay-pre -> proxy -> relay-post -> APNS", viaPort);
        paths.put("push service -> relay-post -> APNS", postPort);

        say("");
        say("Sending " + (warmUp > 0 ? warmUp + " + " : "") + count + " notifications down each path (" + inFlight
                + " in flight, JDK HttpClient over HTTP/2, api.push.apple.com resolved to the relay"
                + (warmUp > 0 ? "; the first " + warmUp + " warm up the JVMs and are left out of the table" : "") + ")...");
        List<String[]> rows = new ArrayList<>();
        boolean allOk = true;
        for (Map.Entry<String, Integer> path : paths.entrySet()) {
            Matcher m = send(launcher, work, relay.resolve("ca.pem"), path.getValue());
            long sent = Long.parseLong(m.group(1));
            long answered = Long.parseLong(m.group(2));
            long ok = Long.parseLong(m.group(3));
            long errors = Long.parseLong(m.group(4));
            long warmUpOk = Long.parseLong(m.group(9));
            allOk &= answered == sent && ok == sent && errors == 0 && warmUpOk == warmUp;
            if (warmUpOk != warmUp) {
                say("  " + path.getKey() + ": only " + warmUpOk + " of the " + warmUp + " warm-up notifications answered 200");
            }
            rows.add(new String[] {path.getKey(), m.group(1), m.group(2), String.valueOf(errors), m.group(5), m.group(6),
                m.group(7)});
        }
        say("");
        say(String.format(Locale.ROOT, "%-58s %7s %9s %7s %8s %8s  %s", "path", "sent", "answered", "errors",
                "p50 ms", "p99 ms", "statuses"));
        for (String[] r : rows) {
            say(String.format(Locale.ROOT, "%-58s %7s %9s %7s %8s %8s  %s", (Object[]) r));
        }
        say("");
        say("APNS simulator accepted " + apns.acceptedCount() + " notifications ("
                + (long) (count + warmUp) * paths.size() + " sent in all" + (warmUp > 0 ? ", warm-up included" : "") + ").");
        if (keepRunning) {
            keepRunning(work, relay, directPort, viaPort, postPort);
        }
        say(allOk ? "demo: OK, every notification answered 200" : "demo: FAILED, see the statuses above and the logs in "
                + work);
        return allOk ? 0 : 1;
    }

    private Matcher send(Launcher launcher, Path work, Path ca, int port) throws IOException {
        Path hosts = work.resolve("push-host.hosts");
        Files.writeString(hosts, "127.0.0.1 api.push.apple.com\n127.0.0.1 localhost\n", StandardCharsets.US_ASCII);
        Path log = work.resolve("client-" + port + ".log");
        DemoProcess client = DemoProcess.start("client", log, Map.of(), List.of(launcher.java(),
                "-Djdk.net.hosts.file=" + hosts, "-cp", System.getProperty("java.class.path"),
                DemoClient.class.getName(), "https://api.push.apple.com:" + port, ca.toString(), String.valueOf(count),
                String.valueOf(inFlight), String.valueOf(warmUp)));
        running.push(client);
        int code = client.waitFor(Duration.ofMinutes(5));
        Matcher m = RESULT.matcher(client.output());
        if (code != 0 || !m.find()) {
            throw new IllegalStateException("the sender to port " + port + " failed (exit " + code + "); its log " + log
                    + " ends:\n" + DemoProcess.tail(client.output()));
        }
        return m;
    }

    private void keepRunning(Path work, Path relay, int directPort, int viaPort, int postPort) throws InterruptedException {
        String token = "a".repeat(64);
        say("Everything stays up; Ctrl-C stops it. Poke it with:");
        for (int port : List.of(directPort, viaPort)) {
            say("  curl --http2 --cacert " + relay.resolve("ca.pem") + " --resolve api.push.apple.com:" + port
                    + ":127.0.0.1 -H 'apns-topic: com.example.demo' -d '{\"aps\":{\"alert\":\"hi\"}}' https://api.push.apple.com:"
                    + port + "/3/device/" + token);
        }
        say("  curl --http1.1 --cacert " + relay.resolve("ca.pem") + " --resolve api.push.apple.com:" + postPort
                + ":127.0.0.1 -H 'apns-topic: com.example.demo' -d '{\"aps\":{\"alert\":\"hi\"}}' https://api.push.apple.com:"
                + postPort + "/3/device/" + token);
        say("Logs and configs: " + work);
        Thread.currentThread().join();
    }

    private synchronized void stopAll() {
        while (!running.isEmpty()) {
            try {
                running.pop().close();
            } catch (Exception e) {
                // Stopping what is left matters more than why one piece failed to stop.
            }
        }
    }

    private void say(String line) {
        out.println(line);
        out.flush();
    }

    /** Starts the roles through the same launcher a user runs. */
    record Launcher(Path script, String java) {
        static Launcher find() {
            String home = System.getProperty("push-relay.home");
            if (home == null) {
                throw new IllegalStateException("push-relay.home is not set: run the demo as 'push-relay demo'");
            }
            Path script = Path.of(home, "scripts", "push-relay");
            if (!Files.isExecutable(script)) {
                script = Path.of(home, "bin", "push-relay");
            }
            String java = ProcessHandle.current().info().command().orElse("java");
            return new Launcher(script, java);
        }

        DemoProcess start(String name, Path log, String... args) throws IOException {
            List<String> command = new ArrayList<>(List.of(script.toString()));
            command.addAll(List.of(args));
            return DemoProcess.start(name, log, Map.of(), command);
        }
    }

    /** {@code --version}. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = System.getProperty("push-relay.version");
            return new String[] {(v == null ? "push-relay dev" : v) + " (demo)"};
        }
    }
}
