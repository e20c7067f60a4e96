package io.pushrelay.pre.e2e;

import com.eatthepath.pushy.apns.ApnsClient;
import com.eatthepath.pushy.apns.util.SimpleApnsPushNotification;
import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.Squid;
import io.pushrelay.core.testing.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The chain of issue #4, run by {@link ScenarioMain} ({@code --mode chain}) inside the network
 * namespace, every hop a real process or peer on loopback:
 *
 * <pre>
 * sender (Pushy ApnsClient, then a Go net/http client) --h2/TLS, by the name api.push.apple.com-->
 *   relay-pre (--via https://relay-post.push-relay.test:PORT, --proxy Squid) --CONNECT, HTTP/1.1 in TLS-->
 *   Squid with ssl-bump (ends the TLS with a certificate of the inspection CA, logs each request)
 *     --TLS, with Squid's client certificate-->
 *   relay-post (its own CA; mutual TLS: --client-ca, --allow-client legacy-proxy) --h2/TLS-->
 *   Pushy's MockApnsServer ("Apple": validates provider tokens and device tokens per topic)
 * </pre>
 *
 * Pushy sends {@code --count} notifications ({@code --in-flight} outstanding, every
 * {@code --bad-every}-th with a malformed token the mock answers {@code 400 BadDeviceToken}); then
 * the Go program ({@code chainclient.go}, run with {@code go run}) sends {@code --go-count} more
 * ({@code --go-in-flight} outstanding) with provider tokens. The summary holds, per sender, what
 * came back; what the mock accepted and rejected; and, checked against the plan of every
 * notification (its {@code apns-id}, device token and expected status), relay-pre's and
 * relay-post's access logs and metrics and Squid's access log. It asserts nothing itself:
 * {@link ChainScenarioTest} does.
 */
final class ChainScenario {
    /** relay-post's name: the via URL's host, mapped to 127.0.0.1 by Squid's {@code hosts_file}. */
    static final String POST_HOST = "relay-post.push-relay.test";

    private final ScenarioMain main;
    private final E2ePki pki;
    private final Path work;

    ChainScenario(ScenarioMain main) {
        this.main = main;
        this.pki = main.pki;
        this.work = main.work;
    }

    /** One planned notification: who sends it, its id, token, and the status the mock must give it. */
    private record Planned(String sender, String apnsId, String token, int status) {
    }

    void run(Map<String, Object> summary) throws Exception {
        int count = main.intOption("count");
        int inFlight = main.intOption("in-flight");
        int badEvery = main.intOption("bad-every");
        int goCount = main.intOption("go-count");
        int goInFlight = main.intOption("go-in-flight");
        String leakLevel = main.option("relay-leak-level");

        // Pushy sends notifications 0..count-1, Go count..count+goCount-1: every token and id differs.
        List<SimpleApnsPushNotification> pushyPlan = Notifications.plan(count, badEvery);
        Map<String, Planned> plan = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            SimpleApnsPushNotification n = pushyPlan.get(i);
            plan.put(n.getApnsId().toString(), new Planned("pushy", n.getApnsId().toString(), n.getToken(),
                    Notifications.isBad(i, badEvery) ? 400 : 200));
        }
        List<Planned> goPlan = new ArrayList<>();
        for (int i = count; i < count + goCount; i++) {
            boolean bad = Notifications.isBad(i, badEvery);
            Planned p = new Planned("go", UUID.nameUUIDFromBytes(("go-" + i).getBytes(StandardCharsets.US_ASCII))
                    .toString(), bad ? Notifications.badToken(i) : Notifications.token(i), bad ? 400 : 200);
            goPlan.add(p);
            plan.put(p.apnsId(), p);
        }
        summary.put("planned", Map.of("pushy", count, "go", goCount,
                "good", plan.values().stream().filter(p -> p.status() == 200).count(),
                "bad", plan.values().stream().filter(p -> p.status() == 400).count()));

        long setupStart = System.nanoTime();
        TestPki postPki = TestPki.create(work.resolve("chain-post-pki"), "relay-post test CA", "push-relay.test");
        TestPki.LeafFiles postCert = postPki.server("relay-post", POST_HOST);
        TestPki.LeafFiles squidIdentity = postPki.client("legacy-proxy");
        TestPki inspection = TestPki.createUnconstrained(work.resolve("chain-inspection"), "corporate inspection CA");
        // Squid (user proxy) reads its client certificate from a folder it can enter.
        Path squidFiles = Files.createDirectories(work.resolve("chain-squid-files"));
        Files.setPosixFilePermissions(squidFiles, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (Path file : List.of(squidIdentity.chain(), squidIdentity.key())) {
            Files.setPosixFilePermissions(Files.copy(file, squidFiles.resolve(file.getFileName())),
                    PosixFilePermissions.fromString("rw-r--r--"));
        }
        try (MockApns mock = MockApns.start(pki, Notifications.registered(count + goCount, badEvery), true, null);
             RelayProcess post = RelayProcess.startPost(work, "relay-post-chain", leakLevel, List.of(
                     "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                     "--cert", postCert.chain().toString(), "--key", postCert.key().toString(),
                     "--allow-source", "127.0.0.1/32",
                     "--client-ca", postPki.caPem().toString(), "--allow-client", "legacy-proxy",
                     "--route", E2ePki.APNS_HOST + "=" + E2ePki.APNS_HOST + ":" + mock.port(),
                     "--upstream-ca", pki.apnsCa().toString()));
             Squid squid = Squid.builder().directory(work).hosts(POST_HOST)
                     .sslBump(inspection.caPem(), inspection.caKey()).trustUpstream(postPki.caPem())
                     .config("tls_outgoing_options cert=" + squidFiles.resolve("legacy-proxy.pem")
                             + " key=" + squidFiles.resolve("legacy-proxy.key"))
                     .allowPorts(post.port()).start();
             RelayProcess pre = RelayProcess.start(work, "relay-pre-chain", leakLevel, List.of(
                     "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
                     "--cert", pki.relayCert().toString(), "--key", pki.relayKey().toString(),
                     "--proxy", squid.url(),
                     "--via", "https://" + POST_HOST + ":" + post.port(), "--via-ca", inspection.caPem().toString(),
                     "--drain-timeout", "10s"))) {
            summary.put("setupMillis", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - setupStart));
            summary.put("relayPrePort", pre.port());
            summary.put("relayPostPort", post.port());

            ApnsClient client = main.tokenClient(pre.port(), false);
            PushyLoad.Result pushy;
            try {
                pushy = PushyLoad.run(client, pushyPlan, inFlight, 60, answered -> { });
            } finally {
                client.close().get(10, TimeUnit.SECONDS);
            }
            Map<String, Object> pushySummary = pushy.toMap();
            pushySummary.put("answeredMoreThanOnce", pushy.answeredIds.values().stream().filter(n -> n > 1).count());
            pushySummary.put("answeredIds", pushy.answeredIds.size());
            pushySummary.put("acceptedNotPlannedGood", pushy.acceptedDigests.keySet().stream()
                    .filter(id -> plan.get(id) == null || plan.get(id).status() != 200).count());
            summary.put("pushy", pushySummary);
            // Before Go's notifications reach the mock: every one the mock accepted is Pushy's.
            summary.put("digests", ScenarioMain.compare(pushy, mock));
            summary.put("mockAfterPushy", ScenarioMain.mockSummary(mock));

            long goStart = System.nanoTime();
            summary.put("go", go(pre.port(), goPlan, goInFlight));
            summary.put("goMillis", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - goStart));
            summary.put("mock", ScenarioMain.mockSummary(mock));

            summary.put("relayPre", relaySummary(pre, plan));
            summary.put("relayPost", relaySummary(post, plan));
            squid.stop();
            summary.put("squid", squidLog(squid, "https://" + POST_HOST + ":" + post.port() + "/3/device/", plan));
        }
    }

    /** {@link ScenarioMain#stop} (metrics, SIGTERM, exit code, leaks, warnings), and its access log against the plan. */
    private static Map<String, Object> relaySummary(RelayProcess relay, Map<String, Planned> plan) {
        Map<String, Object> m = ScenarioMain.stop(relay);
        m.put("accessLog", accessLog(relay.stdout(), plan));
        return m;
    }

    /**
     * Writes the Go program and its plan to a folder and runs it with {@code go run} (standard
     * library only, {@code GO111MODULE=off}, caches in that folder), to relay-pre by name.
     */
    private Map<String, Object> go(int relayPort, List<Planned> goPlan, int inFlight) throws IOException {
        Path dir = Files.createDirectories(work.resolve("chain-go"));
        try (InputStream in = ChainScenario.class.getResourceAsStream("chainclient.go")) {
            Files.write(dir.resolve("main.go"), in.readAllBytes());
        }
        StringBuilder lines = new StringBuilder();
        for (Planned p : goPlan) {
            lines.append(p.apnsId()).append(' ').append(p.token()).append('\n');
        }
        Files.writeString(dir.resolve("plan.txt"), lines);
        Map<String, String> env = new HashMap<>(Map.of("GO111MODULE", "off", "GOFLAGS", "",
                "GOCACHE", dir.resolve("gocache").toString(), "GOPATH", dir.resolve("gopath").toString(),
                "HOME", dir.toString(), "SSL_CERT_FILE", pki.relayCa().toString(), "SSL_CERT_DIR", dir.toString()));
        env.putAll(Map.of("NO_PROXY", "*", "no_proxy", "*"));
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(60), env, List.of("go", "run",
                dir.resolve("main.go").toString(), "https://" + E2ePki.APNS_HOST + ":" + relayPort,
                main.providerToken(), E2ePki.TOPIC, dir.resolve("plan.txt").toString(), Integer.toString(inFlight)));

        Map<String, Planned> byId = new HashMap<>();
        goPlan.forEach(p -> byId.put(p.apnsId(), p));
        Map<String, Integer> answers = new HashMap<>();
        Map<String, Integer> byStatus = new TreeMap<>();
        List<String> wrong = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (String line : r.output().split("\n")) {
            String[] f = line.trim().split(" ", 5);
            Planned p = byId.get(f[0]);
            if (p == null || f.length < 4) {
                if (!line.isBlank() && other.size() < 10) {
                    other.add(line);
                }
                continue;
            }
            answers.merge(p.apnsId(), 1, Integer::sum);
            String body = f.length == 5 ? f[4] : "";
            byStatus.merge(f[1] + " " + f[2] + (body.isEmpty() ? "" : " " + body), 1, Integer::sum);
            String expectedBody = p.status() == 200 ? "" : "{\"reason\":\"BadDeviceToken\"}";
            if (!f[1].equals(Integer.toString(p.status())) || !f[3].equalsIgnoreCase(p.apnsId())
                    || !body.equals(expectedBody)) {
                if (wrong.size() < 10) {
                    wrong.add(line);
                }
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("exitCode", r.exitCode());
        m.put("answered", answers.size());
        m.put("answeredMoreThanOnce", answers.values().stream().filter(n -> n > 1).count());
        m.put("byStatus", byStatus);
        m.put("wrong", wrong);
        m.put("otherOutput", other);
        return m;
    }

    /**
     * A relay's access log ({@code time downstream authority method path status apns-id ...}) held
     * against the plan: lines per status, and the planned notifications it misses, lists more than
     * once, or gives another status than planned; lines of ids not planned.
     */
    static Map<String, Object> accessLog(String stdout, Map<String, Planned> plan) {
        Map<String, Integer> seen = new HashMap<>();
        Map<String, Integer> byStatus = new TreeMap<>();
        int lines = 0;
        int notPlanned = 0;
        int wrongStatus = 0;
        List<String> examples = new ArrayList<>();
        for (String line : stdout.split("\n")) {
            String[] f = line.trim().split(" ");
            if (f.length < 7 || !f[3].equals("POST") || !f[4].startsWith("/3/device/")) {
                continue;
            }
            lines++;
            byStatus.merge(f[2] + " " + f[5], 1, Integer::sum);
            Planned p = plan.get(f[6].toLowerCase(Locale.ROOT));
            if (p == null) {
                notPlanned++;
            } else {
                seen.merge(p.apnsId(), 1, Integer::sum);
                if (!f[5].equals(Integer.toString(p.status()))) {
                    wrongStatus++;
                }
            }
            if ((p == null || !f[5].equals(Integer.toString(p.status()))) && examples.size() < 5) {
                examples.add(line);
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lines", lines);
        m.put("byAuthorityAndStatus", byStatus);
        m.put("missing", plan.keySet().stream().filter(id -> !seen.containsKey(id)).count());
        m.put("moreThanOnce", seen.values().stream().filter(n -> n > 1).count());
        m.put("wrongStatus", wrongStatus);
        m.put("notPlanned", notPlanned);
        m.put("examples", examples);
        return m;
    }

    /**
     * Squid's access log held against the plan: the POST lines (one per request it inspected), by
     * status; the planned device tokens it misses, lists more than once, or with another status;
     * POSTs to any other URL; and the other lines by method and status, with the target of a
     * CONNECT (the bumped tunnels from relay-pre; the fixture's readiness probe logs a line too).
     */
    private static Map<String, Object> squidLog(Squid squid, String urlPrefix, Map<String, Planned> plan) {
        Map<String, Planned> byToken = new HashMap<>();
        plan.values().forEach(p -> byToken.put(p.token(), p));
        Map<String, Integer> seen = new HashMap<>();
        Map<String, Integer> byStatus = new TreeMap<>();
        Map<String, Integer> otherMethods = new TreeMap<>();
        Set<String> otherUrls = new LinkedHashSet<>();
        int posts = 0;
        int wrongStatus = 0;
        for (Squid.AccessLogEntry e : squid.accessLog()) {
            if (!e.method().equals("POST")) {
                otherMethods.merge(e.method() + " " + e.result() + "/" + e.status()
                        + (e.isConnect() ? " " + e.url() : ""), 1, Integer::sum);
                continue;
            }
            posts++;
            byStatus.merge(e.result() + "/" + e.status(), 1, Integer::sum);
            Planned p = e.url().startsWith(urlPrefix) ? byToken.get(e.url().substring(urlPrefix.length())) : null;
            if (p == null) {
                if (otherUrls.size() < 5) {
                    otherUrls.add(e.url());
                }
                continue;
            }
            seen.merge(p.token(), 1, Integer::sum);
            if (e.status() != p.status()) {
                wrongStatus++;
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("posts", posts);
        m.put("byStatus", byStatus);
        m.put("missing", byToken.keySet().stream().filter(t -> !seen.containsKey(t)).count());
        m.put("moreThanOnce", seen.values().stream().filter(n -> n > 1).count());
        m.put("wrongStatus", wrongStatus);
        m.put("otherUrls", new ArrayList<>(otherUrls));
        m.put("otherLines", otherMethods);
        return m;
    }
}
