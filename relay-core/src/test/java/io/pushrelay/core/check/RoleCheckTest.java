package io.pushrelay.core.check;

import static io.pushrelay.core.check.CheckFixture.BAD_TOKEN;
import static io.pushrelay.core.check.CheckFixture.GOOD_TOKEN;
import static io.pushrelay.core.check.CheckFixture.KEY_ID;
import static io.pushrelay.core.check.CheckFixture.NAMES;
import static io.pushrelay.core.check.CheckFixture.TEAM;
import static io.pushrelay.core.check.CheckFixture.TOPIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.certs.CertificateAuthority;
import io.pushrelay.certs.Leaf;
import io.pushrelay.certs.Pem;
import io.pushrelay.core.admin.AdminServer;
import io.pushrelay.core.admin.Readiness;
import io.pushrelay.core.config.ConfigException;
import io.pushrelay.core.config.ConfigLoader;
import io.pushrelay.core.config.PostConfig;
import io.pushrelay.core.config.PreConfig;
import io.pushrelay.core.connect.HostResolver;
import io.pushrelay.core.observe.metrics.RelayMetrics;
import io.pushrelay.core.sim.ConnectProxyConfig;
import io.pushrelay.core.sim.ConnectProxySimulator;
import io.pushrelay.core.sim.TunnelRecord;
import io.pushrelay.core.testing.H1TestServer;
import io.pushrelay.core.testing.H2TestServer;
import io.pushrelay.core.testing.Ports;
import io.pushrelay.core.testing.TestPki;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The check engine over a real setup on loopback (the APNS simulator behind the CONNECT proxy
 * simulator, fresh PKI): all ✔ and exit 0 when healthy; then each step broken alone gives its own
 * ✘ line, with a fix, and exit 1 (a config that does not load: exit 2).
 */
class RoleCheckTest {
    @TempDir
    static Path dir;
    static CheckFixture f;

    @BeforeAll
    static void start() {
        f = CheckFixture.start(dir);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void healthySetupShouldPassEveryStepAndExit0() {
        long tunnels = f.proxy.tunnelsOpened();
        CheckFixture.Result r = f.healthy().check();
        assertEquals(0, r.report().exitCode(), r.output());
        assertTrue(r.report().lines().stream().allMatch(l -> l.status() == CheckStatus.PASS && l.warning() == null), r.output());
        Map<String, Integer> perStep = Map.of(RoleCheck.CONFIG, 1, RoleCheck.FILES, 1, RoleCheck.CERTIFICATE, 3,
                RoleCheck.LISTEN, 2, RoleCheck.RESOLVE, 2, RoleCheck.TRUST, 1, RoleCheck.PROXY, 1, RoleCheck.CONNECT, 2,
                RoleCheck.TLS, 2, RoleCheck.ALPN, 2);
        perStep.forEach((step, n) -> assertEquals(n, r.lines(step).size(), step + ":\n" + r.output()));
        r.line("✔ config ");
        r.line("✔ certificate " + f.relayCert.chain() + " matches key " + f.relayCert.key());
        r.line("✔ certificate " + f.relayCert.chain() + " covers api.push.apple.com, api.sandbox.push.apple.com");
        r.line("✔ resolve api.sandbox.push.apple.com -> 127.0.0.1 (this relay)");
        r.line("✔ trust CA CN=relay CA,O=push-relay of " + f.relayCert.chain() + " is in the system trust store");
        r.line("✔ proxy http://127.0.0.1:" + f.proxyPort + " reachable (127.0.0.1:" + f.proxyPort + ")");
        for (String name : NAMES) {
            r.line("✔ CONNECT " + name + ":" + f.apnsPort + " via 127.0.0.1:" + f.proxyPort + " allowed");
            r.line("✔ upstream TLS " + name + " verified (CN=api.push.apple.com,O=push-relay, issuer CN=upstream CA,O=push-relay, ");
            r.line("✔ ALPN " + name + ": h2");
        }
        assertTrue(r.output().endsWith("check: all 17 passed\n"), r.output());
        assertEquals(tunnels + 2, f.proxy.tunnelsOpened());
        List<String> targets = f.proxy.records().stream().map(TunnelRecord::target).toList();
        assertTrue(targets.contains("api.sandbox.push.apple.com:" + f.apnsPort), targets.toString());
    }

    @Test
    void configThatDoesNotLoadShouldPrintItsLineAndExit2() throws Exception {
        Path file = dir.resolve("broken.yaml");
        Files.writeString(file, "listen: 127.0.0.1:0\ntls:\n  cert: a.pem\n  key: a.key\nupstream:\n  max-connections-per-host: 0\n");
        ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
                () -> ConfigLoader.load(file, PreConfig.class));
        StringWriter out = new StringWriter();
        assertEquals(2, RoleCheck.configFailed(e, new PrintWriter(out, true)));
        String line = out.toString().lines().findFirst().orElseThrow();
        assertTrue(line.startsWith("✘ config " + file + ":6: upstream.max-connections-per-host: "), line);
        assertTrue(line.endsWith(" — fix: edit " + file + " line 6 (upstream.max-connections-per-host)"), line);
    }

    @Test
    void keyOfAnotherCertificateShouldFailTheMatch() {
        CheckFixture.Setup s = f.healthy();
        s.key = f.upstreamCert.key();
        String line = s.check().onlyFailure("✘ certificate " + f.relayCert.chain() + " and key " + f.upstreamCert.key()
                + " do not match (the key belongs to another certificate) — fix: give tls.key the key made with this"
                + " certificate, or issue both again: push-relay certs server create --ca CA_DIR --out ");
        assertTrue(line.endsWith(" --name server --host api.push.apple.com --host api.sandbox.push.apple.com"
                + " --ip 127.0.0.1 --ip ::1 --force"), line);
    }

    @Test
    void certificateMissingARouteNameShouldSaySoAndHowToIssueIt() {
        TestPki.LeafFiles narrow = f.relay.server("narrow", "api.push.apple.com");
        CheckFixture.Setup s = f.healthy();
        s.cert = narrow.chain();
        s.key = narrow.key();
        String line = s.check().onlyFailure("✘ certificate " + narrow.chain() + ": does not cover api.sandbox.push.apple.com"
                + " (SANs: api.push.apple.com, 127.0.0.1, ::1) — fix: push-relay certs server create --ca CA_DIR --out ");
        assertTrue(line.endsWith("--name narrow --host api.push.apple.com --host api.sandbox.push.apple.com"
                + " --ip 127.0.0.1 --ip ::1 --force"), line);
    }

    @Test
    void expiredCertificateShouldFailAndExpiringSoonShouldWarn() throws Exception {
        Path expired = dir.resolve("expired.pem");
        Path expiredKey = dir.resolve("expired.key");
        writeExpiredLeaf(f.relay.ca(), expired, expiredKey);
        CheckFixture.Setup s = f.healthy();
        s.cert = expired;
        s.key = expiredKey;
        String line = s.check().onlyFailure("✘ certificate " + expired + ": expired on ");
        assertTrue(line.contains(" — fix: push-relay certs server create --ca CA_DIR --out " + dir + " --name expired"), line);
        assertTrue(line.endsWith("; then systemctl reload push-relay-pre (SIGHUP reloads certificates)"), line);

        Leaf soon = f.relay.ca().issueServer(CertificateAuthority.LeafOptions.server(NAMES.toArray(String[]::new)).withDays(10));
        soon.save(dir, "soon", null, true);
        s.cert = dir.resolve("soon.pem");
        s.key = dir.resolve("soon.key");
        CheckFixture.Result r = s.check();
        assertEquals(0, r.report().exitCode(), r.output());
        String warned = r.line("✔ certificate " + s.cert + " valid until ");
        assertTrue(warned.contains(" (9 days) — warning: renew soon: push-relay certs server create")
                || warned.contains(" (10 days) — warning: renew soon: push-relay certs server create"), warned);
    }

    @Test
    void listenAddressInUseShouldFailUnlessTheRunningRelayHoldsIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CheckFixture.Setup s = f.healthy();
            s.listen = "127.0.0.1:" + taken.getLocalPort();
            int adminPort = Ports.closed();
            s.admin = "127.0.0.1:" + adminPort;
            s.check().onlyFailure("✘ listen 127.0.0.1:" + taken.getLocalPort() + ": in use by another process (a running relay?"
                    + " nothing answers http://127.0.0.1:" + adminPort + "/healthz) — fix: find it with: ss -ltnp 'sport = :"
                    + taken.getLocalPort() + "' and stop it, or choose another address as --listen / listen");

            try (AdminServer admin = new AdminServer()) {
                InetSocketAddress a = admin.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                        RelayMetrics.create(), () -> Readiness.READY);
                s.admin = "127.0.0.1:" + a.getPort();
                CheckFixture.Result r = s.check();
                assertEquals(0, r.report().exitCode(), r.output());
                r.line("✔ listen 127.0.0.1:" + taken.getLocalPort() + " in use by the running relay-pre (its admin endpoint"
                        + " http://127.0.0.1:" + a.getPort() + "/healthz answers ok)");
                r.line("✔ admin 127.0.0.1:" + a.getPort() + " in use by the running relay-pre");
            }
        }
    }

    @Test
    void nameResolvingElsewhereShouldFailWithTheHostsRedirectFix() throws Exception {
        InetAddress apple = InetAddress.getByAddress("api.sandbox.push.apple.com", new byte[] {17, (byte) 253, (byte) 144, 10});
        HostResolver resolver = HostResolver.fixed(Map.of("api.push.apple.com", List.of(InetAddress.getLoopbackAddress()),
                "api.sandbox.push.apple.com", List.of(apple)), host -> {
                    throw new UnknownHostException(host);
                });
        String line = f.healthy().check(o -> o.withResolver(resolver)).onlyFailure(
                "✘ resolve api.sandbox.push.apple.com -> 17.253.144.10 (17.253.144.10: not this relay's listen address"
                        + " 127.0.0.1; the push service would bypass the relay) — fix: on the push service's host:"
                        + " scripts/hosts-redirect.sh add 127.0.0.1 api.push.apple.com api.sandbox.push.apple.com");

        HostResolver nothing = host -> {
            throw new UnknownHostException(host);
        };
        CheckFixture.Result r = f.healthy().check(o -> o.withResolver(nothing));
        assertEquals(2, r.report().failures().size(), r.output());
        r.line("✘ resolve api.push.apple.com: does not resolve here (not in /etc/hosts, not in DNS) — fix: on the push"
                + " service's host: scripts/hosts-redirect.sh add 127.0.0.1");
        assertTrue(line.contains("scripts/hosts-redirect.sh status"), line);
    }

    @Test
    void relayCaMissingFromTheTrustStoreShouldFail() throws Exception {
        Path bundle = dir.resolve("without-relay-ca.crt");
        Files.write(bundle, Pem.certificates(List.of(f.upstream.ca().certificate())));
        f.healthy().check(o -> o.withTrustBundles(List.of(bundle))).onlyFailure("✘ trust CA CN=relay CA,O=push-relay of "
                + f.relayCert.chain() + " is not in the system trust store " + bundle + " (the push service would refuse the"
                + " relay's certificate) — fix: push-relay certs trust --ca CA_DIR/ca.pem --install");
    }

    @Test
    void proxyDownShouldFailTheProxyAndSkipTheRoutes() {
        CheckFixture.Setup s = f.healthy();
        int closed = Ports.closed();
        s.proxy = "http://127.0.0.1:" + closed;
        CheckFixture.Result r = s.check();
        r.onlyFailure("✘ proxy http://127.0.0.1:" + closed + " unreachable: connection refused — fix: start the proxy or"
                + " correct proxy.url (--proxy)");
        r.line("- CONNECT and upstream TLS for api.push.apple.com, api.sandbox.push.apple.com: skipped (proxy unreachable)");
        assertTrue(r.lines(RoleCheck.CONNECT).isEmpty(), r.output());
    }

    @Test
    void proxyRefusingConnectShouldFailConnectWithItsStatus() {
        try (ConnectProxySimulator strict = new ConnectProxySimulator()) {
            int port = strict.start(ConnectProxyConfig.builder().allowPort(443).host("api.push.apple.com", "127.0.0.1")
                    .host("api.sandbox.push.apple.com", "127.0.0.1").ioThreads(1).build()).getPort();
            CheckFixture.Setup s = f.healthy();
            s.proxy = "http://127.0.0.1:" + port;
            CheckFixture.Result r = s.check();
            assertEquals(2, r.report().failures().size(), r.output());
            String line = r.line("✘ CONNECT api.push.apple.com:" + f.apnsPort + " via 127.0.0.1:" + port + " refused: status 403"
                    + " — fix: the proxy's policy forbids CONNECT to api.push.apple.com:" + f.apnsPort);
            assertTrue(line.contains("Squid: acl apns dstdomain .push.apple.com, port " + f.apnsPort + " in SSL_ports"), line);
            r.line("- upstream TLS api.push.apple.com: skipped (CONNECT refused)");
            r.line("- ALPN api.sandbox.push.apple.com: skipped (CONNECT refused)");
        }
    }

    @Test
    void proxyWantingALoginShouldFailConnectWith407() throws Exception {
        try (ConnectProxySimulator authed = new ConnectProxySimulator()) {
            int port = authed.start(ConnectProxyConfig.builder().basicAuth("relay", "s3cret").allowPort(f.apnsPort)
                    .host("api.push.apple.com", "127.0.0.1").host("api.sandbox.push.apple.com", "127.0.0.1").ioThreads(1)
                    .build()).getPort();
            CheckFixture.Setup s = f.healthy();
            s.proxy = "http://127.0.0.1:" + port;
            s.check().report().failures().forEach(l -> assertTrue(l.render().startsWith("✘ CONNECT ")
                    && l.render().contains(" refused: status 407 — fix: the proxy wants a login: set proxy.url to"
                    + " http://USER@127.0.0.1:" + port + " and proxy.password-file"), l.render()));

            Path wrong = CheckFixture.secret(dir.resolve("wrong.password"), "not-it\n".getBytes());
            s.proxy = "http://relay@127.0.0.1:" + port;
            s.proxyPasswordFile = wrong;
            CheckFixture.Result r = s.check();
            assertEquals(2, r.report().failures().size(), r.output());
            r.line("✘ CONNECT api.push.apple.com:" + f.apnsPort + " via 127.0.0.1:" + port + " refused: status 407 — fix: the"
                    + " proxy refused user relay: check the password in proxy.password-file (" + wrong + ")");

            Path right = CheckFixture.secret(dir.resolve("right.password"), "s3cret\n".getBytes());
            s.proxyPasswordFile = right;
            CheckFixture.Result ok = s.check();
            assertEquals(0, ok.report().exitCode(), ok.output());
        }
    }

    @Test
    void untrustedUpstreamShouldFailTlsAndSkipAlpn() {
        CheckFixture.Setup s = f.healthy();
        s.upstreamCa = null;
        CheckFixture.Result r = s.check();
        assertEquals(2, r.report().failures().size(), r.output());
        String line = r.line("✘ upstream TLS api.push.apple.com: ");
        assertTrue(line.contains(" — fix: if the proxy inspects TLS, give its CA as upstream.ca (--upstream-ca FILE)"), line);
        r.line("✔ CONNECT api.push.apple.com:" + f.apnsPort + " via 127.0.0.1:" + f.proxyPort + " allowed");
        r.line("- ALPN api.push.apple.com: skipped (TLS failed)");
    }

    @Test
    void upstreamWithoutH2ShouldFailAlpnOnly() {
        try (H2TestServer http1 = H2TestServer.builder(f.upstreamCert.chain(), f.upstreamCert.key()).alpn(false).start()) {
            CheckFixture.Setup s = f.healthy();
            s.proxy = null;
            s.routes.clear();
            s.routes.put("api.push.apple.com", "127.0.0.1:" + http1.port());
            CheckFixture.Result r = s.check();
            r.onlyFailure("✘ ALPN api.push.apple.com: upstream did not select h2 by ALPN (selected: none) — fix: APNS speaks"
                    + " only HTTP/2: make 127.0.0.1:" + http1.port() + " the real api.push.apple.com");
            r.line("✔ upstream api.push.apple.com => 127.0.0.1:" + http1.port() + " reachable");
            r.line("✔ upstream TLS api.push.apple.com verified");
        }
    }

    @Test
    void directUpstreamDownShouldFailReachability() {
        CheckFixture.Setup s = f.healthy();
        s.proxy = null;
        int closed = Ports.closed();
        s.routes.clear();
        s.routes.put("api.push.apple.com", "127.0.0.1:" + closed);
        CheckFixture.Result r = s.check();
        r.onlyFailure("✘ upstream api.push.apple.com => 127.0.0.1:" + closed + " unreachable: connection refused"
                + " — fix: open the way from this host to 127.0.0.1:" + closed);
        r.line("- upstream TLS api.push.apple.com: skipped (not connected)");
    }

    @Test
    void worldReadableKeyShouldFailFilesAndSkipTheCertificate() throws Exception {
        Path key = dir.resolve("open.key");
        Files.copy(f.relayCert.key(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        CheckFixture.Setup s = f.healthy();
        s.key = key;
        CheckFixture.Result r = s.check();
        r.onlyFailure("✘ file tls.key " + key + ": readable by every user; chmod 600 (or 640 with group push-relay) — fix:"
                + " chmod 600 " + key);
        r.line("- certificate " + f.relayCert.chain() + ": skipped (tls file problem above)");
    }

    @Test
    void skippedStepsShouldPrintDashLinesAndNotFail() {
        CheckFixture.Result r = f.healthy().check(o -> o.withSkip(java.util.Set.of(RoleCheck.RESOLVE, RoleCheck.NETWORK))
                .withResolver(host -> {
                    throw new UnknownHostException(host);
                }));
        assertEquals(0, r.report().exitCode(), r.output());
        r.line("- resolve: skipped (--skip resolve)");
        r.line("- network: skipped (--skip network)");
        assertTrue(r.output().endsWith("check: all 8 passed, 2 skipped\n"), r.output());
    }

    @Test
    void sendTestShouldDeliverThroughTheUpstreamPathAndPrintApnsId() {
        long accepted = f.apns.acceptedCount();
        SendTest test = new SendTest(GOOD_TOKEN, TOPIC, "api.sandbox.push.apple.com", null, null, null, f.signingKey, KEY_ID, TEAM);
        CheckFixture.Result r = f.healthy().check(o -> o.withSendTest(test));
        assertEquals(0, r.report().exitCode(), r.output());
        String line = r.line("✔ send-test api.sandbox.push.apple.com: 200, apns-id ");
        assertTrue(line.endsWith(" (token " + GOOD_TOKEN.substring(0, 6) + "…, topic " + TOPIC + ", token auth)"), line);
        assertEquals(accepted + 1, f.apns.acceptedCount());
        assertFalse(r.output().contains(GOOD_TOKEN), r.output());
    }

    @Test
    void sendTestShouldPassBadDeviceTokenThrough() {
        SendTest test = new SendTest(BAD_TOKEN, TOPIC, null, null, null, null, f.signingKey, KEY_ID, TEAM);
        String line = f.healthy().check(o -> o.withSendTest(test)).onlyFailure(
                "✘ send-test api.push.apple.com: 400 BadDeviceToken, apns-id ");
        assertTrue(line.contains(" — fix: the token is not a device token of this gateway: a development token goes to"
                + " api.sandbox.push.apple.com"), line);
    }

    @Test
    void sendTestWithATokenSignedByAnotherKeyShouldShowApnsReason() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        String jwt = ProviderTokens.sign(generator.generateKeyPair().getPrivate(), KEY_ID, TEAM, Instant.now());
        Path file = CheckFixture.secret(dir.resolve("authorization"), ("bearer " + jwt + "\n").getBytes());
        SendTest test = new SendTest(GOOD_TOKEN, TOPIC, null, null, null, file, null, null, null);
        String line = f.healthy().check(o -> o.withSendTest(test)).onlyFailure(
                "✘ send-test api.push.apple.com: 403 InvalidProviderToken, apns-id ");
        assertTrue(line.contains("— fix: check --key-id, --team-id and the key file"), line);
        assertFalse(line.contains(jwt), line);
    }

    @Test
    void postConfigShouldRunTheSameStepsWithoutResolveAndTrust() throws Exception {
        Path file = f.healthy().write();
        PostConfig post = ConfigLoader.load(file, PostConfig.class);
        StringWriter out = new StringWriter();
        CheckReport report = RoleCheck.run(post, f.options(file).withResolver(host -> {
            throw new UnknownHostException(host);
        }), new PrintWriter(out, true));
        assertEquals(0, report.exitCode(), out.toString());
        assertTrue(out.toString().startsWith("✔ config " + file + " valid (relay-post, 2 routes, proxy http://127.0.0.1:"),
                out.toString());
        assertEquals(2, report.lines().stream().filter(l -> l.step().equals(RoleCheck.CERTIFICATE)).count(),
                "relay-post's certificate covers its own name, not the routes': match and expiry only\n" + out);
        assertTrue(report.lines().stream().noneMatch(l -> l.step().equals(RoleCheck.RESOLVE) || l.step().equals(RoleCheck.TRUST)),
                out.toString());
        assertTrue(out.toString().contains("✔ ALPN api.sandbox.push.apple.com: h2"), out.toString());

        StringWriter named = new StringWriter();
        CheckReport withNames = RoleCheck.run(post, f.options(file).withCertificateNames(List.of("relay-post.example.net")),
                new PrintWriter(named, true));
        assertEquals(1, withNames.failures().size(), named.toString());
        assertTrue(withNames.failures().get(0).render().startsWith("✘ certificate " + f.relayCert.chain()
                + ": does not cover relay-post.example.net"), named.toString());
    }

    @Test
    void passthroughShouldNeedNoCertificateNorTrust() throws Exception {
        Path file = dir.resolve("passthrough.yaml");
        Files.writeString(file, "listen: 127.0.0.1:0\npassthrough: true\nproxy:\n  url: http://127.0.0.1:" + f.proxyPort
                + "\nupstream:\n  ca: " + f.upstream.caPem() + "\nroutes:\n  api.push.apple.com: api.push.apple.com:"
                + f.apnsPort + "\nadmin:\n  listen: 127.0.0.1:0\n");
        PreConfig pre = ConfigLoader.load(file, PreConfig.class);
        StringWriter out = new StringWriter();
        CheckReport report = RoleCheck.run(pre, f.options(file), new PrintWriter(out, true));
        assertEquals(0, report.exitCode(), out.toString());
        assertTrue(out.toString().contains("\n- certificate: none needed (passthrough: the push service sees APNS's own"
                + " certificate)\n"), out.toString());
        assertTrue(out.toString().contains("\n- trust: not needed (passthrough"), out.toString());
        assertTrue(out.toString().contains("\n✔ upstream TLS api.push.apple.com verified"), out.toString());
    }

    @Test
    void chainedRelayPreShouldCheckItsConnectionToRelayPost() {
        try (H1TestServer post = H1TestServer.builder().tls(f.relayCert.chain(), f.relayCert.key()).alpn("http/1.1").start();
             ConnectProxySimulator proxy = new ConnectProxySimulator()) {
            String url = "https://127.0.0.1:" + post.port();
            CheckFixture.Setup s = f.healthy();
            s.proxy = null;
            s.via = url;
            s.viaCa = f.relay.caPem();
            CheckFixture.Result direct = s.check(o -> o.withSendTest(new SendTest(GOOD_TOKEN, TOPIC, null, null, null, null,
                    f.signingKey, KEY_ID, TEAM)));
            assertEquals(0, direct.report().exitCode(), direct.output());
            direct.line("✔ upstream relay-post " + url + " reachable");
            direct.line("✔ upstream TLS relay-post " + url + " verified (CN=api.push.apple.com,O=push-relay, issuer CN=relay CA");
            direct.line("✔ ALPN relay-post " + url + ": http/1.1");
            direct.line("- send-test: not from a chained relay-pre (via " + url + ")");
            assertTrue(direct.lines(RoleCheck.CONNECT).isEmpty() && direct.lines(RoleCheck.TLS).size() == 1, direct.output());

            int proxyPort = proxy.start(ConnectProxyConfig.builder().allowPort(post.port()).ioThreads(1).build()).getPort();
            s.proxy = "http://127.0.0.1:" + proxyPort;
            CheckFixture.Result proxied = s.check();
            assertEquals(0, proxied.report().exitCode(), proxied.output());
            proxied.line("✔ CONNECT 127.0.0.1:" + post.port() + " via 127.0.0.1:" + proxyPort + " allowed");

            s.viaCa = f.upstream.caPem();
            proxied = s.check();
            String line = proxied.onlyFailure("✘ upstream TLS relay-post " + url + ": ");
            assertTrue(line.contains(" — fix: give via.ca (--via-ca FILE) the CA of relay-post's certificate, or of the"
                    + " TLS-inspecting proxy in between; the certificate must name 127.0.0.1"), line);
        }
        try (H1TestServer plain = H1TestServer.builder().start()) {
            String url = "http://127.0.0.1:" + plain.port();
            CheckFixture.Setup s = f.healthy();
            s.proxy = null;
            s.via = url;
            CheckFixture.Result r = s.check();
            assertEquals(0, r.report().exitCode(), r.output());
            r.line("✔ upstream relay-post " + url + " reachable");
            r.line("- upstream TLS relay-post " + url + ": none (http://, plain text)");
        }
    }

    /** A leaf for the APNS names that expired yesterday, signed by {@code ca}; BouncyCastle directly, since the CA API issues only valid ones. */
    private static void writeExpiredLeaf(CertificateAuthority ca, Path chain, Path key) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = generator.generateKeyPair();
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                X500Name.getInstance(ca.certificate().getSubjectX500Principal().getEncoded()), BigInteger.valueOf(now.toEpochMilli()),
                Date.from(now.minus(Duration.ofDays(30))), Date.from(now.minus(Duration.ofDays(1))),
                new X500Name("CN=api.push.apple.com"), keys.getPublic());
        GeneralName[] names = NAMES.stream().map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new);
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        X509Certificate leaf = new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.privateKey())));
        Files.write(chain, Pem.certificates(List.of(leaf, ca.certificate())));
        CheckFixture.secret(key, Pem.privateKey(keys.getPrivate(), null));
    }
}
