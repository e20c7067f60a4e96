package io.pushrelay.pre.e2e;

import com.eatthepath.pushy.apns.ApnsClient;
import com.eatthepath.pushy.apns.ApnsClientBuilder;
import com.eatthepath.pushy.apns.auth.ApnsSigningKey;
import com.eatthepath.pushy.apns.auth.AuthenticationToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pushrelay.certs.CertificateAuthority;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.Squid;
import io.pushrelay.core.testing.TestTls;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One end-to-end scenario in a JVM of its own, meant to run inside a network namespace whose
 * {@code /etc/hosts} maps {@code api.push.apple.com} to 127.0.0.1 ({@link Scenario#run}). No Netty
 * leak detection here, so Pushy runs at full speed; relay-pre runs as its own process
 * ({@link RelayProcess}, leak detection on, reports counted). Everything this JVM starts is its
 * child, so inside the namespace too: Pushy's {@code MockApnsServer} as "Apple" ({@link MockApns}),
 * Squid as the corporate proxy, relay-pre configured to go through Squid, and the senders (Pushy's
 * {@code ApnsClient}, curl, a Go program), which reach relay-pre only by the name
 * {@code api.push.apple.com}.
 *
 * <p>It measures and prints one line, {@code SUMMARY {json}}, that the JUnit test asserts on; it
 * asserts nothing itself. Modes:
 * <ul>
 *   <li>{@code seed}: token auth, {@code --count} notifications with {@code --in-flight}
 *       outstanding, every {@code --bad-every}-th with a malformed token, Pushy with ALPN
 *       {@code --alpn} true/false; counts at the client, the mock, Squid's access log, relay-pre's
 *       metrics and access log.</li>
 *   <li>{@code peers}: relay-pre with {@code --apns-client-cert}: Pushy with certificate auth
 *       (no {@code authorization}) through the relay's certificate pool; curl {@code --http2} and
 *       the Go program ({@code --go-client}) with provider tokens; then relay-pre without the
 *       certificate (the mock refuses) and with one from a CA the mock does not trust.</li>
 *   <li>{@code lifecycle}: relay-pre from a config file under Pushy load; mid-run the TLS
 *       certificate file is re-issued and SIGHUP sent, the served certificate checked; later
 *       SIGTERM, and the run must still complete.</li>
 *   <li>{@code passthrough}: relay-pre with {@code --passthrough}: Pushy with token auth and
 *       Pushy with certificate auth, each TLS session end to end with the mock through the tunnel;
 *       a server name that is not a route is refused.</li>
 *   <li>{@code chain}: relay-pre with {@code --via} to relay-post through a TLS-inspecting Squid;
 *       Pushy, then a Go standard-library client, at the start ({@link ChainScenario}).</li>
 * </ul>
 */
public final class ScenarioMain {
    static final String SUMMARY = "SUMMARY ";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> options;
    final E2ePki pki;
    final Path work;
    private final Map<String, Object> summary = new LinkedHashMap<>();

    private ScenarioMain(Map<String, String> options) {
        this.options = options;
        this.pki = E2ePki.open(Path.of(option("pki")));
        this.work = Path.of(option("work"));
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --name value, got " + args[i]);
            }
            options.put(args[i].substring(2), args[i + 1]);
        }
        ScenarioMain scenario = new ScenarioMain(options);
        long start = System.nanoTime();
        String mode = scenario.option("mode");
        scenario.summary.put("mode", mode);
        switch (mode) {
            case "seed" -> scenario.seed();
            case "peers" -> scenario.peers();
            case "lifecycle" -> scenario.lifecycle();
            case "passthrough" -> scenario.passthrough();
            case "chain" -> new ChainScenario(scenario).run(scenario.summary);
            default -> throw new IllegalArgumentException("unknown mode " + mode);
        }
        scenario.summary.put("totalMillis", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        System.out.println(SUMMARY + JSON.writeValueAsString(scenario.summary));
        System.out.flush();
        // Pushy's and the mock's event loops may linger; the summary is out.
        System.exit(0);
    }

    String option(String name) {
        String value = options.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing --" + name);
        }
        return value;
    }

    int intOption(String name) {
        return Integer.parseInt(option(name));
    }

    // ---- seed --------------------------------------------------------------------------------

    /** Token auth, many notifications, through Squid; counts at client, mock, Squid and relay. */
    private void seed() throws Exception {
        int count = intOption("count");
        int inFlight = intOption("in-flight");
        int badEvery = intOption("bad-every");
        boolean alpn = Boolean.parseBoolean(option("alpn"));
        summary.put("alpn", alpn);
        long setupStart = System.nanoTime();
        try (MockApns mock = MockApns.start(pki, Notifications.registered(count, badEvery), true, null);
             Squid squid = Squid.builder().allowPorts(mock.port()).directory(work).start()) {
            Map<String, Object> relaySummary;
            PushyLoad.Result result;
            try (RelayProcess relay = RelayProcess.start(work, "relay-seed-" + alpn, option("relay-leak-level"),
                    relayArgs(squid, mock, "20s"))) {
                summary.put("setupMillis", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - setupStart));
                ApnsClient client = tokenClient(relay.port(), alpn);
                try {
                    result = PushyLoad.run(client, Notifications.plan(count, badEvery), inFlight, 90, answered -> { });
                } finally {
                    client.close().get(10, TimeUnit.SECONDS);
                }
                relaySummary = stop(relay);
            }
            squid.stop();
            summary.put("client", result.toMap());
            summary.put("digests", compare(result, mock));
            summary.put("mock", mockSummary(mock));
            summary.put("squidConnects", squidConnects(squid));
            summary.put("relay", relaySummary);
        }
    }

    // ---- peers -------------------------------------------------------------------------------

    /** Certificate auth through the relay's certificate pool; curl and Go with tokens; refusals. */
    private void peers() throws Exception {
        int count = intOption("count");
        int badEvery = intOption("bad-every");
        Path goClient = Path.of(option("go-client"));
        try (MockApns mock = MockApns.start(pki, Notifications.registered(count, badEvery), true, pki.apnsClientCa());
             Squid squid = Squid.builder().allowPorts(mock.port()).directory(work).start()) {
            List<String> withCert = relayArgs(squid, mock, "10s");
            withCert.addAll(List.of("--apns-client-cert", pki.apnsClientP12().toString(),
                    "--apns-client-cert-password-file", pki.apnsClientPasswordFile().toString()));
            try (RelayProcess relay = RelayProcess.start(work, "relay-cert", "paranoid", withCert)) {
                Map<String, Object> phase = new LinkedHashMap<>();
                ApnsClient client = certificateClient(relay.port());
                try {
                    phase.put("pushy", PushyLoad.run(client, Notifications.plan(count, badEvery), 100, 60, a -> { })
                            .toMap());
                } finally {
                    client.close().get(10, TimeUnit.SECONDS);
                }
                phase.put("mockAfterPushy", mockSummary(mock));
                phase.put("curl", curl(relay.port(), Notifications.token(0), "curl-1"));
                phase.put("curlBadToken", curl(relay.port(), Notifications.badToken(1), "curl-2"));
                phase.put("go", goClient(goClient, relay.port(), Notifications.token(2), 20));
                phase.put("mockAfterAll", mockSummary(mock));
                phase.put("relay", stop(relay));
                summary.put("withCertificate", phase);
            }
            try (RelayProcess relay = RelayProcess.start(work, "relay-no-cert", "paranoid", relayArgs(squid, mock, "10s"))) {
                summary.put("withoutCertificate", certificateRun(relay, mock, 40, badEvery));
            }
            List<String> untrusted = relayArgs(squid, mock, "10s");
            untrusted.addAll(List.of("--apns-client-cert", pki.untrustedClientP12().toString(),
                    "--apns-client-cert-password-file", pki.apnsClientPasswordFile().toString()));
            try (RelayProcess relay = RelayProcess.start(work, "relay-untrusted-cert", "paranoid", untrusted)) {
                summary.put("untrustedCertificate", certificateRun(relay, mock, 20, badEvery));
            }
            squid.stop();
            summary.put("squidConnects", squidConnects(squid));
        }
    }

    private Map<String, Object> certificateRun(RelayProcess relay, MockApns mock, int count, int badEvery)
            throws Exception {
        Map<String, Object> phase = new LinkedHashMap<>();
        ApnsClient client = certificateClient(relay.port());
        try {
            phase.put("pushy", PushyLoad.run(client, Notifications.plan(count, badEvery), 20, 30, a -> { }).toMap());
        } finally {
            client.close().get(10, TimeUnit.SECONDS);
        }
        phase.put("mock", mockSummary(mock));
        phase.put("relay", stop(relay));
        return phase;
    }

    private Map<String, Object> curl(int relayPort, String token, String apnsIdSeed) {
        String apnsId = UUID.nameUUIDFromBytes(apnsIdSeed.getBytes()).toString();
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(20), Map.of(), List.of("curl", "-sS",
                "--noproxy", "*", "--http2", "--cacert", pki.relayCa().toString(),
                "-H", "authorization: " + providerToken(), "-H", "apns-topic: " + E2ePki.TOPIC,
                "-H", "apns-id: " + apnsId, "-H", "apns-push-type: alert",
                "--data-binary", "{\"aps\":{\"alert\":\"from curl\"}}",
                "-w", "\n%{http_code} %{http_version} %header{apns-id}\n",
                "https://" + E2ePki.APNS_HOST + ":" + relayPort + "/3/device/" + token));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exitCode", r.exitCode());
        m.put("output", r.output().trim());
        m.put("apnsId", apnsId);
        return m;
    }

    private Map<String, Object> goClient(Path binary, int relayPort, String token, int count) {
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(40),
                Map.of("SSL_CERT_FILE", pki.relayCa().toString(), "SSL_CERT_DIR", work.toString(), "NO_PROXY", "*",
                        "no_proxy", "*"),
                List.of(binary.toString(), "https://" + E2ePki.APNS_HOST + ":" + relayPort + "/3/device/" + token,
                        providerToken(), E2ePki.TOPIC, Integer.toString(count)));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exitCode", r.exitCode());
        m.put("lines", r.output().lines().filter(l -> !l.isBlank()).toList());
        return m;
    }

    // ---- passthrough -------------------------------------------------------------------------

    /** TLS passthrough: the senders' own TLS (and client certificate) reaches the mock. */
    private void passthrough() throws Exception {
        int count = intOption("count");
        int badEvery = intOption("bad-every");
        int certificateCount = count / 10;
        try (MockApns mock = MockApns.start(pki, Notifications.registered(count + certificateCount, badEvery), true,
                pki.apnsClientCa());
             Squid squid = Squid.builder().allowPorts(mock.port()).directory(work).start()) {
            try (RelayProcess relay = RelayProcess.start(work, "relay-passthrough", "paranoid", List.of(
                    "--passthrough", "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                    "--proxy", squid.url(),
                    "--route", E2ePki.APNS_HOST + "=" + E2ePki.APNS_HOST + ":" + mock.port(), "--drain-timeout", "10s"))) {
                // The sender trusts "Apple" itself: relay-pre shows no certificate of its own.
                ApnsClient token = new ApnsClientBuilder()
                        .setApnsServer(E2ePki.APNS_HOST, relay.port())
                        .setSigningKey(signingKey())
                        .setTrustedServerCertificateChain(pki.apnsCa().toFile())
                        .build();
                try {
                    PushyLoad.Result result = PushyLoad.run(token, Notifications.plan(count, badEvery), 100, 60, a -> { });
                    summary.put("token", result.toMap());
                    summary.put("digests", compare(result, mock));
                } finally {
                    token.close().get(10, TimeUnit.SECONDS);
                }
                summary.put("mockAfterToken", mockSummary(mock));
                ApnsClient certificate = new ApnsClientBuilder()
                        .setApnsServer(E2ePki.APNS_HOST, relay.port())
                        .setClientCredentials(pki.apnsClientP12().toFile(), E2ePki.P12_PASSWORD)
                        .setTrustedServerCertificateChain(pki.apnsCa().toFile())
                        .build();
                try {
                    summary.put("certificate", PushyLoad.run(certificate,
                            Notifications.plan(count, certificateCount, badEvery),
                            50, 60, a -> { }).toMap());
                } finally {
                    certificate.close().get(10, TimeUnit.SECONDS);
                }
                summary.put("mockAfterCertificate", mockSummary(mock));
                summary.put("notARoute", handshake(relay.port(), "push.example.com"));
                summary.put("relay", stop(relay));
                summary.put("relayLog", relay.stderr().lines().filter(l -> l.contains("passthrough")).limit(10).toList());
            }
            squid.stop();
            summary.put("squidConnects", squidConnects(squid));
        }
    }

    /** A JDK TLS handshake with {@code serverName} as SNI, trusting the mock's CA: "ok" or the failure. */
    private String handshake(int port, String serverName) {
        try (SSLSocket socket = (SSLSocket) TestTls.trusting(pki.apnsCa()).getSocketFactory()
                .createSocket("127.0.0.1", port)) {
            SSLParameters params = socket.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(serverName)));
            socket.setSSLParameters(params);
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            return "ok";
        } catch (IOException e) {
            return "failed: " + e;
        }
    }

    // ---- lifecycle ---------------------------------------------------------------------------

    /** SIGHUP with a re-issued certificate, then SIGTERM, both while Pushy sends. */
    private void lifecycle() throws Exception {
        int count = intOption("count");
        int badEvery = intOption("bad-every");
        Duration drainTimeout = Duration.ofSeconds(intOption("drain-seconds"));
        Path tls = Files.createDirectories(work.resolve("lifecycle-tls"));
        Files.copy(pki.relayCert(), tls.resolve("relay.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(pki.relayKey(), tls.resolve("relay.key"), StandardCopyOption.REPLACE_EXISTING);
        try (MockApns mock = MockApns.start(pki, Notifications.registered(count, badEvery), true, null);
             Squid squid = Squid.builder().allowPorts(mock.port()).directory(work).start()) {
            Path config = work.resolve("lifecycle.yaml");
            Files.writeString(config, String.join("\n",
                    "# relay-pre for the lifecycle scenario: SIGHUP reloads tls from these files",
                    "listen: 127.0.0.1:0",
                    "tls:",
                    "  cert: lifecycle-tls/relay.pem",
                    "  key: lifecycle-tls/relay.key",
                    "proxy:",
                    "  url: " + squid.url(),
                    "upstream:",
                    "  ca: " + pki.apnsCa(),
                    "routes:",
                    "  " + E2ePki.APNS_HOST + ": " + E2ePki.APNS_HOST + ":" + mock.port(),
                    "admin:",
                    "  listen: 127.0.0.1:0",
                    "drain-timeout: " + drainTimeout.toSeconds() + "s",
                    ""));
            try (RelayProcess relay = RelayProcess.start(work, "relay-lifecycle", "paranoid",
                    List.of("--config", config.toString()))) {
                BigInteger before = servedSerial(relay.port());
                AtomicInteger answered = new AtomicInteger();
                Map<String, Object> events = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
                CompletableFuture<Void> controller = CompletableFuture.runAsync(() -> {
                    try {
                        awaitAnswered(answered, count / 4);
                        events.put("answeredAtHup", answered.get());
                        BigInteger issued = reissue(tls);
                        relay.hangUp();
                        long hupNanos = System.nanoTime();
                        awaitLog(relay, "certificates reloaded", Duration.ofSeconds(15));
                        events.put("reloadMillis", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - hupNanos));
                        events.put("issuedSerial", issued.toString(16));
                        events.put("servedSerialAfterHup", servedSerial(relay.port()).toString(16));
                        events.put("answeredAfterHupCheck", answered.get());
                        awaitAnswered(answered, Math.max(count / 2, answered.get() + count / 10));
                        events.put("answeredAtTerm", answered.get());
                        events.put("termNanos", System.nanoTime());
                        relay.signal("TERM");
                    } catch (Exception e) {
                        events.put("controllerError", e.toString());
                    }
                });
                ApnsClient client = tokenClient(relay.port(), false);
                PushyLoad.Result result;
                try {
                    result = PushyLoad.run(client, Notifications.plan(count, badEvery), intOption("in-flight"), 60,
                            answered::set);
                    controller.get(30, TimeUnit.SECONDS);
                } finally {
                    client.close().get(10, TimeUnit.SECONDS);
                }
                int exit = relay.awaitExit(drainTimeout.plusSeconds(10));
                Object term = events.remove("termNanos");
                long exitMillis = term == null ? -1 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - (Long) term);
                Map<String, Object> relaySummary = new LinkedHashMap<>();
                relaySummary.put("exitCode", exit);
                relaySummary.put("millisFromTermToExitSeen", exitMillis);
                relaySummary.put("leaks", relay.leaks());
                relaySummary.put("stderr", relay.stderr().lines().filter(l -> l.contains("relay-pre:")
                        || l.contains("reload") || l.contains("drain") || l.contains("WARN") || l.contains("ERROR"))
                        .filter(l -> !l.contains("MacAddressUtil")).limit(30).toList());
                relaySummary.put("accessLogLines", relay.stdout().lines().filter(l -> l.contains(" POST /3/device/"))
                        .count());
                summary.put("servedSerialBefore", before.toString(16));
                summary.put("events", events);
                summary.put("client", result.toMap());
                summary.put("digests", compare(result, mock));
                summary.put("mock", mockSummary(mock));
                summary.put("relay", relaySummary);
            }
        }
    }

    private static void awaitAnswered(AtomicInteger answered, int target) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (answered.get() < target && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
    }

    private static void awaitLog(RelayProcess relay, String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!relay.stderr().contains(text)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("relay-pre did not log '" + text + "':\n" + relay.stderr());
            }
            Thread.sleep(10);
        }
    }

    /** A new certificate from the same CA, moved over the files the config names; its serial. */
    private BigInteger reissue(Path tls) throws IOException {
        CertificateAuthority ca = CertificateAuthority.load(pki.relayCa().getParent(), null);
        Path staging = Files.createDirectories(work.resolve("lifecycle-staging"));
        var leaf = ca.issueServer(CertificateAuthority.LeafOptions.server(E2ePki.APNS_HOST, "api.sandbox.push.apple.com",
                "api.development.push.apple.com").withIps("127.0.0.1", "::1"));
        leaf.save(staging, "relay", null, true);
        Files.move(staging.resolve("relay.key"), tls.resolve("relay.key"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        Files.move(staging.resolve("relay.pem"), tls.resolve("relay.pem"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        return leaf.certificate().getSerialNumber();
    }

    /** The serial of the certificate relay-pre shows a new connection for api.push.apple.com (JDK TLS). */
    private BigInteger servedSerial(int port) throws IOException {
        try (SSLSocket socket = (SSLSocket) TestTls.trusting(pki.relayCa()).getSocketFactory()
                .createSocket("127.0.0.1", port)) {
            SSLParameters params = socket.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(E2ePki.APNS_HOST)));
            params.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(params);
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    // ---- shared ------------------------------------------------------------------------------

    private List<String> relayArgs(Squid squid, MockApns mock, String drainTimeout) {
        return new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                "--cert", pki.relayCert().toString(), "--key", pki.relayKey().toString(),
                "--proxy", squid.url(), "--upstream-ca", pki.apnsCa().toString(),
                "--route", E2ePki.APNS_HOST + "=" + E2ePki.APNS_HOST + ":" + mock.port(),
                "--drain-timeout", drainTimeout));
    }

    /** Pushy with token auth, to relay-pre by name. */
    ApnsClient tokenClient(int relayPort, boolean alpn) throws Exception {
        return new ApnsClientBuilder()
                .setApnsServer(E2ePki.APNS_HOST, relayPort)
                .setSigningKey(signingKey())
                .setTrustedServerCertificateChain(pki.relayCa().toFile())
                .setUseAlpn(alpn)
                .build();
    }

    /**
     * Pushy set up for certificate auth: it sends no {@code authorization}. Its own certificate
     * never reaches Apple through a terminating relay (relay-pre does not ask for one); relay-pre's
     * certificate pool presents the one it is configured with.
     */
    private ApnsClient certificateClient(int relayPort) throws Exception {
        return new ApnsClientBuilder()
                .setApnsServer(E2ePki.APNS_HOST, relayPort)
                .setClientCredentials(pki.apnsClientP12().toFile(), E2ePki.P12_PASSWORD)
                .setTrustedServerCertificateChain(pki.relayCa().toFile())
                .build();
    }

    private ApnsSigningKey signingKey() throws Exception {
        return ApnsSigningKey.loadFromPkcs8File(pki.signingKeyFile().toFile(), E2ePki.TEAM, E2ePki.KEY_ID);
    }

    /** {@code bearer <JWT>} signed now with the provider's key (Pushy's encoding, which its mock checks). */
    String providerToken() {
        try {
            return new AuthenticationToken(signingKey(), Instant.now()).getAuthorizationHeader().toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Scrapes metrics, sends SIGTERM, and reports what relay-pre did. */
    static Map<String, Object> stop(RelayProcess relay) {
        String metrics = relay.metrics();
        long cpu = cpuMillis(relay.pid());
        long termStart = System.nanoTime();
        int exitCode = relay.terminate(Duration.ofSeconds(30));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requests", PromText.requestsByStatus(metrics));
        m.put("exitCode", exitCode);
        m.put("exitMillis", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - termStart));
        m.put("cpuMillis", cpu);
        m.put("leaks", relay.leaks());
        m.put("accessLogLines", relay.stdout().lines().filter(l -> l.contains(" POST /3/device/")).count());
        m.put("warnings", relay.stderr().lines().filter(l -> l.contains("WARN") || l.contains("ERROR"))
                .filter(l -> !l.contains("MacAddressUtil")).limit(20).toList());
        return m;
    }

    /** Every accepted notification as the client sent it and as the mock received it. */
    static Map<String, Object> compare(PushyLoad.Result result, MockApns mock) {
        int same = 0;
        int differ = 0;
        int missingAtMock = 0;
        List<String> examples = new ArrayList<>();
        for (Map.Entry<String, String> e : result.acceptedDigests.entrySet()) {
            String atMock = mock.accepted().get(e.getKey());
            if (atMock == null) {
                missingAtMock++;
            } else if (atMock.equals(e.getValue())) {
                same++;
            } else {
                differ++;
                if (examples.size() < 3) {
                    examples.add("sent " + e.getValue() + " received " + atMock);
                }
            }
        }
        int notAtClient = 0;
        for (String id : mock.accepted().keySet()) {
            if (!result.acceptedDigests.containsKey(id)) {
                notAtClient++;
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("same", same);
        m.put("differ", differ);
        m.put("missingAtMock", missingAtMock);
        m.put("acceptedAtMockNotAtClient", notAtClient);
        m.put("examples", examples);
        return m;
    }

    static Map<String, Object> mockSummary(MockApns mock) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accepted", mock.acceptedCount());
        m.put("acceptedWithoutId", mock.acceptedWithoutId());
        m.put("acceptedWithAuthorization", mock.acceptedWithAuthorization());
        m.put("rejected", mock.rejected());
        m.put("duplicates", mock.duplicates().size());
        m.put("connections", mock.connections());
        m.put("clientSubjects", mock.clientSubjects());
        return m;
    }

    /** Squid's CONNECT lines, as {@code "result/status url"}. */
    static List<String> squidConnects(Squid squid) {
        List<String> out = new ArrayList<>();
        for (Squid.AccessLogEntry entry : squid.accessLog()) {
            if (entry.isConnect()) {
                out.add(entry.result() + "/" + entry.status() + " " + entry.url());
            }
        }
        return out;
    }

    /** User plus system CPU of a process so far, from {@code /proc/PID/stat} (clock ticks of 10 ms). */
    static long cpuMillis(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // Counting from the state (field 3 of stat(5)): utime is field 14, stime field 15.
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
