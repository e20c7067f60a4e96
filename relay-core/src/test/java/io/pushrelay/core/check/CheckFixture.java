package io.pushrelay.core.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pushrelay.certs.Pem;
import io.pushrelay.core.config.ConfigException;
import io.pushrelay.core.config.ConfigLoader;
import io.pushrelay.core.config.PreConfig;
import io.pushrelay.core.connect.HostResolver;
import io.pushrelay.core.sim.ApnsSimConfig;
import io.pushrelay.core.sim.ApnsSimulator;
import io.pushrelay.core.sim.ConnectProxyConfig;
import io.pushrelay.core.sim.ConnectProxySimulator;
import io.pushrelay.core.sim.ServerIdentity;
import io.pushrelay.core.testing.Ports;
import io.pushrelay.core.testing.TestPki;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A healthy relay-pre setup on loopback for check tests: a relay CA and certificate for the
 * APNS names; the APNS simulator as the upstream, with its own CA (trusted through
 * {@code upstream.ca}) and token auth checking our JWTs against a fresh signing key; the CONNECT
 * proxy simulator allowing only the simulator's port, resolving the APNS names to 127.0.0.1; a
 * trust bundle holding both CAs. {@link Setup} is a config that tests break one key at a time.
 */
public final class CheckFixture implements AutoCloseable {
    public static final List<String> NAMES = List.of("api.push.apple.com", "api.sandbox.push.apple.com");
    public static final String TEAM = "TEAM123456";
    public static final String KEY_ID = "KEY1234567";
    public static final String TOPIC = "com.example.app";
    public static final String GOOD_TOKEN = String.format(Locale.ROOT, "%064x", 0x1a2b3c4d5e6fL);
    public static final String BAD_TOKEN = String.format(Locale.ROOT, "%064x", 0xbadbadL);

    public final Path dir;
    public final TestPki relay;
    public final TestPki.LeafFiles relayCert;
    public final TestPki upstream;
    public final TestPki.LeafFiles upstreamCert;
    public final Path signingKey;
    public final Path trustBundle;
    public final ApnsSimulator apns = new ApnsSimulator();
    public final int apnsPort;
    public final ConnectProxySimulator proxy = new ConnectProxySimulator();
    public final int proxyPort;

    private CheckFixture(Path dir) throws Exception {
        this.dir = dir;
        relay = TestPki.create(dir.resolve("relay"), "relay CA");
        relayCert = relay.server("server", NAMES.toArray(String[]::new));
        upstream = TestPki.create(dir.resolve("upstream"), "upstream CA");
        upstreamCert = upstream.server("apns", NAMES.toArray(String[]::new));
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair keys = generator.generateKeyPair();
        signingKey = secret(dir.resolve("AuthKey_" + KEY_ID + ".p8"), Pem.privateKey(keys.getPrivate(), null));
        trustBundle = dir.resolve("trust-bundle.crt");
        Files.write(trustBundle, Pem.certificates(List.of(upstream.ca().certificate(), relay.ca().certificate())));
        apnsPort = apns.start(ApnsSimConfig.builder(ServerIdentity.fromPem(upstreamCert.chain(), upstreamCert.key()))
                .tokenAuth(true)
                .tokenKey(new ApnsSimConfig.TokenKey(TEAM, KEY_ID, keys.getPublic()))
                .badToken(BAD_TOKEN)
                .ioThreads(1)
                .build()).getPort();
        ConnectProxyConfig.Builder p = ConnectProxyConfig.builder().allowPort(apnsPort).ioThreads(1);
        for (String name : NAMES) {
            p.host(name, "127.0.0.1");
        }
        proxyPort = proxy.start(p.build()).getPort();
    }

    public static CheckFixture start(Path dir) {
        try {
            return new CheckFixture(dir);
        } catch (Exception e) {
            throw new IllegalStateException("check fixture", e);
        }
    }

    /** The healthy setup: every route through the proxy to the simulator. */
    public Setup healthy() {
        Setup s = new Setup();
        s.cert = relayCert.chain();
        s.key = relayCert.key();
        s.proxy = "http://127.0.0.1:" + proxyPort;
        s.upstreamCa = upstream.caPem();
        for (String name : NAMES) {
            s.routes.put(name, name + ":" + apnsPort);
        }
        return s;
    }

    /** Options for a setup: names resolve to 127.0.0.1 (the relay's listen address), the fixture's trust bundle. */
    public CheckOptions options(Path config) {
        Map<String, List<InetAddress>> names = new LinkedHashMap<>();
        for (String name : NAMES) {
            names.put(name, List.of(InetAddress.getLoopbackAddress()));
        }
        return CheckOptions.defaults(config.toString())
                .withResolver(HostResolver.fixed(names, HostResolver.system()))
                .withTrustBundles(List.of(trustBundle));
    }

    /** A relay-pre config, written as YAML and loaded as the relay loads it. */
    public final class Setup {
        public String listen = "127.0.0.1:0";
        public String admin = "127.0.0.1:0";
        public Path cert;
        public Path key;
        public String proxy;
        public Path proxyPasswordFile;
        public Path upstreamCa;
        public Map<String, String> routes = new LinkedHashMap<>();
        public String via;
        public Path viaCa;

        public String yaml() {
            List<String> lines = new ArrayList<>();
            lines.add("listen: " + listen);
            lines.add("tls:");
            lines.add("  cert: " + cert);
            lines.add("  key: " + key);
            if (proxy != null) {
                lines.add("proxy:");
                lines.add("  url: " + proxy);
                if (proxyPasswordFile != null) {
                    lines.add("  password-file: " + proxyPasswordFile);
                }
            }
            if (upstreamCa != null) {
                lines.add("upstream:");
                lines.add("  ca: " + upstreamCa);
                lines.add("  connect-timeout: 3s");
            }
            lines.add("routes:");
            routes.forEach((name, target) -> lines.add("  " + name + ": " + target));
            if (via != null) {
                lines.add("via:");
                lines.add("  url: " + via);
                if (viaCa != null) {
                    lines.add("  ca: " + viaCa);
                }
            }
            lines.add("admin:");
            lines.add("  listen: " + admin);
            return String.join("\n", lines) + "\n";
        }

        public Path write() {
            try {
                Path file = Files.createTempFile(dir, "pre-", ".yaml");
                Files.writeString(file, yaml(), StandardCharsets.UTF_8);
                return file;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Runs the check over this setup with {@link #options}, adjusted by {@code adjust}. */
        public Result check(java.util.function.UnaryOperator<CheckOptions> adjust) {
            Path file = write();
            PreConfig config;
            try {
                config = ConfigLoader.load(file, PreConfig.class);
            } catch (ConfigException e) {
                throw new AssertionError("the test's config should load: " + e.getMessage() + "\n" + yaml(), e);
            }
            StringWriter text = new StringWriter();
            CheckReport report = RoleCheck.run(config, adjust.apply(options(file)), new PrintWriter(text, true));
            return new Result(text.toString(), report);
        }

        public Result check() {
            return check(o -> o);
        }
    }

    /** What a check printed, and its report. */
    public record Result(String output, CheckReport report) {
        /** The lines of one step. */
        public List<CheckLine> lines(String step) {
            return report.lines().stream().filter(l -> l.step().equals(step)).toList();
        }

        /** Asserts a printed line starts with {@code start}, and returns it. */
        public String line(String start) {
            for (String l : output.split("\n")) {
                if (l.startsWith(start)) {
                    return l;
                }
            }
            return fail("no line starting with '" + start + "' in:\n" + output);
        }

        /** Asserts exactly one line failed, starting with {@code start}, and the exit code is 1. */
        public String onlyFailure(String start) {
            List<CheckLine> failed = report.failures();
            assertEquals(1, failed.size(), () -> "one ✘ line expected:\n" + output);
            assertTrue(failed.get(0).render().startsWith(start), () -> "✘ line should start with '" + start + "':\n" + output);
            assertEquals(1, report.exitCode(), output);
            return failed.get(0).render();
        }
    }

    public static Path secret(Path file, byte[] content) throws IOException {
        Files.write(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }


    @Override
    public void close() {
        try {
            proxy.close();
        } finally {
            apns.close();
        }
    }
}
