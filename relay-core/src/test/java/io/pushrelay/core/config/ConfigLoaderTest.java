package io.pushrelay.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import io.pushrelay.core.policy.RouteTable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private static final String FULL_PRE = """
            listen: "[::]:8443"
            tls:
              cert: /etc/pr/server.pem
              key: keys/server.key
              sni:
                - host: "*.example.com"
                  cert: /etc/pr/wild.pem
                  key: /etc/pr/wild.key
            proxy:
              url: http://relay@proxy.corp:3128
              password-file: /etc/pr/proxy.password
            upstream:
              ca: /etc/pr/inspect-ca.pem
              apns-client-cert: /etc/pr/apns.p12
              apns-client-cert-password-file: /etc/pr/apns.password
              max-connections-per-host: 2
              request-timeout: 3s
              connect-timeout: 1500ms
              ping-interval: 1m30s
              idle-timeout: 1h
            routes:
              api.push.apple.com: 127.0.0.1:9443
              API.Sandbox.Push.Apple.com: "[::1]:9444"
            fcm: true
            via:
              url: https://relay-post.dmz:8443
              ca: /etc/pr/post-ca.pem
              client-cert: /etc/pr/pre-client.pem
              client-key: /etc/pr/pre-client.key
              max-connections: 96
            passthrough: false
            admin:
              listen: 127.0.0.1:19901
            limits:
              max-connections: 50
              handshake-timeout: 2s
              idle-timeout: 30s
              max-concurrent-streams: 7
            drain-timeout: 45s
            log:
              format: json
              access-log: /var/log/push-relay/access.log
              level: debug
            """;

    private static final String FULL_POST = """
            listen: 10.0.0.5:9443
            tls:
              cert: /etc/pr/post.pem
              key: /etc/pr/post.key
            plaintext: false
            client-ca: /etc/pr/clients-ca.pem
            allow-clients:
              - relay-pre
              - " legacy.corp.example "
            allow-sources:
              - 10.1.2.3
              - 192.168.0.0/16
              - "fd00::/8"
            routes:
              api.push.apple.com: 127.0.0.1:9443
            fcm: true
            upstream:
              request-timeout: 20s
            proxy:
              url: https://egress.dmz:3129
              ca: /etc/pr/egress-ca.pem
            admin:
              listen: "[::1]:9902"
            limits:
              max-connections: 100
              max-connections-per-client: 5
              requests-per-second-per-client: 10
              max-body-bytes: 2048
              handshake-timeout: 3s
              idle-timeout: 1m
            drain-timeout: 5s
            log:
              format: text
              access-log: "off"
              level: warn
            """;

    private Path write(String name, String yaml) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, yaml, StandardCharsets.UTF_8);
        return f;
    }

    private <T extends Record> ConfigException refused(String yaml, Class<T> type) throws IOException {
        Path f = write("c.yaml", yaml);
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(f, type));
    }

    /** The single problem's line, asserting there is exactly one. */
    private String only(ConfigException e) {
        assertEquals(1, e.problems().size(), e.getMessage());
        return e.problems().get(0).toString();
    }

    private String at(int line) {
        return "config " + dir.resolve("c.yaml") + ":" + line + ": ";
    }

    @Test
    void aFullPreConfigShouldBindEveryKey() throws Exception {
        Path f = write("pre.yaml", FULL_PRE);
        PreConfig c = ConfigLoader.load(f, PreConfig.class);
        assertEquals(new HostPort("::", 8443), c.listen());
        assertEquals(Path.of("/etc/pr/server.pem"), c.tls().cert());
        assertEquals(dir.resolve("keys/server.key"), c.tls().key(), "relative to the config file's folder");
        assertEquals(List.of(new SniCertificate("*.example.com", Path.of("/etc/pr/wild.pem"), Path.of("/etc/pr/wild.key"))),
                c.tls().sni());
        assertTrue(c.tls().sni().get(0).matches("a.example.com"));
        assertFalse(c.tls().sni().get(0).matches("a.b.example.com"));
        assertFalse(c.tls().sni().get(0).matches("example.com"));
        assertEquals("relay", c.proxy().url().user());
        assertNull(c.proxy().url().password());
        assertEquals(new HostPort("proxy.corp", 3128), c.proxy().url().address());
        assertEquals(Path.of("/etc/pr/proxy.password"), c.proxy().passwordFile());
        assertEquals(new UpstreamSettings(Path.of("/etc/pr/inspect-ca.pem"), Path.of("/etc/pr/apns.p12"),
                Path.of("/etc/pr/apns.password"), 2, Duration.ofSeconds(3), Duration.ofMillis(1500), Duration.ofSeconds(90),
                Duration.ofHours(1)), c.upstream());
        assertEquals(Map.of("api.push.apple.com", new HostPort("127.0.0.1", 9443),
                "api.sandbox.push.apple.com", new HostPort("::1", 9444),
                "fcm.googleapis.com", new HostPort("fcm.googleapis.com", 443),
                "oauth2.googleapis.com", new HostPort("oauth2.googleapis.com", 443)), c.routes());
        assertEquals(List.of("api.push.apple.com", "api.sandbox.push.apple.com", "fcm.googleapis.com", "oauth2.googleapis.com"),
                List.copyOf(c.routes().keySet()), "config order, then the FCM routes");
        assertTrue(c.fcm());
        assertEquals(new ViaSettings(EndpointUrl.parse("https://relay-post.dmz:8443"), Path.of("/etc/pr/post-ca.pem"),
                Path.of("/etc/pr/pre-client.pem"), Path.of("/etc/pr/pre-client.key"), 96), c.via());
        assertFalse(c.passthrough());
        assertEquals(new HostPort("127.0.0.1", 19901), c.admin().listen());
        assertEquals(new PreLimitSettings(50, Duration.ofSeconds(2), Duration.ofSeconds(30), 7), c.limits());
        assertEquals(Duration.ofSeconds(45), c.drainTimeout());
        assertEquals(new LogSettings(LogFormat.JSON, AccessLog.file(Path.of("/var/log/push-relay/access.log")), LogLevel.DEBUG),
                c.log());
    }

    @Test
    void aFullPostConfigShouldBindEveryKey() throws Exception {
        PostConfig c = ConfigLoader.load(write("post.yaml", FULL_POST), PostConfig.class);
        assertEquals(new HostPort("10.0.0.5", 9443), c.listen());
        assertEquals(new TlsSettings(Path.of("/etc/pr/post.pem"), Path.of("/etc/pr/post.key"), List.of()), c.tls());
        assertFalse(c.plaintext());
        assertEquals(Path.of("/etc/pr/clients-ca.pem"), c.clientCa());
        assertEquals(List.of("relay-pre", "legacy.corp.example"), c.allowClients());
        assertEquals(List.of(Cidr.parse("10.1.2.3/32"), Cidr.parse("192.168.0.0/16"), Cidr.parse("fd00::/8")), c.allowSources());
        assertTrue(c.allowsSource(InetAddress.getByName("10.1.2.3")));
        assertFalse(c.allowsSource(InetAddress.getByName("10.1.2.4")));
        assertFalse(c.allowsSource(InetAddress.getByName("127.0.0.1")), "the list replaces the private default");
        assertEquals(3, c.routes().size());
        assertEquals(Duration.ofSeconds(20), c.upstream().requestTimeout());
        assertEquals(UpstreamSettings.DEFAULTS.connectTimeout(), c.upstream().connectTimeout());
        assertTrue(c.proxy().url().tls());
        assertEquals(Path.of("/etc/pr/egress-ca.pem"), c.proxy().ca());
        assertEquals(new HostPort("::1", 9902), c.admin().listen());
        assertEquals(new PostLimitSettings(100, 5, 10, 2048, Duration.ofSeconds(3), Duration.ofMinutes(1)), c.limits());
        assertEquals(Duration.ofSeconds(5), c.drainTimeout());
        assertEquals(new LogSettings(LogFormat.TEXT, AccessLog.OFF, LogLevel.WARN), c.log());
        RouteTable table = c.routeTable();
        Route apns = table.find("api.push.apple.com:443").orElseThrow();
        assertEquals(RouteKind.APNS, apns.kind());
        assertEquals(2048, apns.maxBodyBytes(), "max-body-bytes replaces each kind's limit");
        assertEquals(RouteKind.FCM, table.find("fcm.googleapis.com").orElseThrow().kind());
        assertEquals(RouteKind.OAUTH, table.find("oauth2.googleapis.com").orElseThrow().kind());
        assertTrue(table.find("api.sandbox.push.apple.com").isEmpty());
    }

    @Test
    void absentKeysShouldTakeTheirDefaults() throws Exception {
        PreConfig pre = ConfigLoader.load(write("pre.yaml", "tls: {cert: s.pem, key: s.key}\n"), PreConfig.class);
        assertEquals(new HostPort("0.0.0.0", 443), pre.listen());
        assertNull(pre.proxy());
        assertNull(pre.via());
        assertEquals(UpstreamSettings.DEFAULTS, pre.upstream());
        assertEquals(4, pre.upstream().maxConnectionsPerHost());
        assertEquals(Duration.ofSeconds(10), pre.upstream().requestTimeout());
        assertEquals(Duration.ofSeconds(5), pre.upstream().connectTimeout());
        assertEquals(Duration.ofSeconds(60), pre.upstream().pingInterval());
        assertEquals(Duration.ofMinutes(5), pre.upstream().idleTimeout());
        assertEquals(List.copyOf(RouteTable.APNS_HOSTS), List.copyOf(pre.routes().keySet()));
        pre.routes().forEach((name, target) -> assertEquals(new HostPort(name, 443), target));
        assertFalse(pre.fcm());
        assertFalse(pre.passthrough());
        assertEquals(new HostPort("127.0.0.1", 9901), pre.admin().listen());
        assertEquals(new PreLimitSettings(10_000, Duration.ofSeconds(10), Duration.ofMinutes(5), 1000), pre.limits());
        assertEquals(Duration.ofSeconds(30), pre.drainTimeout());
        assertEquals(new LogSettings(LogFormat.TEXT, AccessLog.STDOUT, LogLevel.INFO), pre.log());
        assertEquals(5120, pre.routeTable().find("api.push.apple.com").orElseThrow().maxBodyBytes());

        PostConfig post = ConfigLoader.load(write("post.yaml", "tls: {cert: s.pem, key: s.key}\n"), PostConfig.class);
        assertEquals(new HostPort("0.0.0.0", 8443), post.listen());
        assertEquals(PostConfig.PRIVATE_SOURCES, post.allowSources());
        assertTrue(post.allowsSource(InetAddress.getByName("192.168.1.1")));
        assertTrue(post.allowsSource(InetAddress.getByName("::1")));
        assertFalse(post.allowsSource(InetAddress.getByName("8.8.8.8")));
        assertEquals(List.of(), post.allowClients());
        assertNull(post.clientCa());
        assertEquals(new HostPort("127.0.0.1", 9902), post.admin().listen());
        assertEquals(new PostLimitSettings(10_000, 512, 100_000, 0, Duration.ofSeconds(10), Duration.ofMinutes(5)), post.limits());
        assertEquals(5120, post.routeTable().find("api.push.apple.com").orElseThrow().maxBodyBytes(), "0: the kind's own");
    }

    @Test
    void anUnknownKeyShouldBeRefusedWithItsLineAndASuggestion() throws Exception {
        String message = only(refused("""
                tls:
                  cert: s.pem
                  key: s.key
                upstream:
                  max-conections-per-host: 2
                """, PreConfig.class));
        assertEquals(at(5) + "upstream.max-conections-per-host: unknown key (did you mean 'max-connections-per-host'?)", message);
    }

    @Test
    void everyUnknownKeyShouldBeReportedAtOnceWithTheFirstBadValue() throws Exception {
        ConfigException e = refused("""
                tls:
                  cert: s.pem
                  key: s.key
                  sni:
                    - host: a.example.com
                      cert: a.pem
                      key: a.key
                      chain: x.pem
                colour: blue
                limits:
                  idle-timeout: 10
                maxConnections: 3
                """, PreConfig.class);
        List<String> lines = e.problems().stream().map(Object::toString).toList();
        assertEquals(4, lines.size(), e.getMessage());
        assertEquals(at(8) + "tls.sni[0].chain: unknown key; known here: host, cert, key", lines.get(0));
        assertTrue(lines.get(1).startsWith(at(9) + "colour: unknown key; known here: listen, tls, proxy"), lines.get(1));
        assertEquals(at(11) + "limits.idle-timeout: expected a duration such as 10s, 500ms or 5m, got '10' (add a unit: 10s or 10ms)",
                lines.get(2));
        assertTrue(lines.get(3).startsWith(at(12) + "maxConnections: unknown key; known here:"), lines.get(3));
        assertEquals(String.join("\n", lines), e.getMessage());
    }

    @Test
    void aSnakeOrCamelCaseKeyShouldBePointedToItsKebabSpelling() throws Exception {
        assertEquals(at(2) + "drain_timeout: unknown key (did you mean 'drain-timeout'?)",
                only(refused("plaintext: true\ndrain_timeout: 5s\n", PostConfig.class)));
        assertEquals(at(2) + "limits.maxConnectionsPerClient: unknown key (did you mean 'max-connections-per-client'?)",
                only(refused("plaintext: true\nlimits: {maxConnectionsPerClient: 5}\n", PostConfig.class)));
    }

    @Test
    void aRangeErrorShouldNameFileLineAndKeyPath() throws Exception {
        assertEquals(at(4) + "limits.max-connections: must be at least 1, got 0",
                only(refused("plaintext: true\nlimits:\n  idle-timeout: 1s\n  max-connections: 0\n", PostConfig.class)));
        assertEquals(at(3) + "upstream.max-connections-per-host: must be between 1 and 1000, got 0",
                only(refused("plaintext: true\nupstream:\n  max-connections-per-host: 0\n", PostConfig.class)));
        assertEquals(at(2) + "upstream.request-timeout: must be longer than 0, got 0s",
                only(refused("plaintext: true\nupstream: {request-timeout: 0s}\n", PostConfig.class)));
        assertEquals(at(2) + "drain-timeout: must be longer than 0, got 0s",
                only(refused("plaintext: true\ndrain-timeout: 0ms\n", PostConfig.class)));
        assertEquals(at(4) + "via.max-connections: must be between 1 and 4096, got 0",
                only(refused("tls: {cert: /c.pem, key: /k.pem}\nvia:\n  url: https://post.example:8443\n  max-connections: 0\n",
                        PreConfig.class)));
    }

    @Test
    void badValuesShouldSayWhatWasExpected() throws Exception {
        assertEquals(at(2) + "listen: port must be between 0 and 65535, got 99999",
                only(refused("plaintext: true\nlisten: 0.0.0.0:99999\n", PostConfig.class)));
        assertEquals(at(2) + "listen: expected HOST:PORT, got '0.0.0.0' (no port)",
                only(refused("plaintext: true\nlisten: 0.0.0.0\n", PostConfig.class)));
        assertEquals(at(3) + "admin.listen: expected HOST:PORT (quote IPv6: \"[::1]:443\"), got a list",
                only(refused("plaintext: true\nadmin:\n  listen: [a, b]\n", PostConfig.class)));
        assertEquals(at(2) + "limits.max-connections: expected a whole number, got 'many'",
                only(refused("plaintext: true\nlimits: {max-connections: many}\n", PostConfig.class)));
        assertEquals(at(2) + "limits.max-connections: expected a whole number, got '1.5'",
                only(refused("plaintext: true\nlimits: {max-connections: 1.5}\n", PostConfig.class)));
        assertEquals(at(2) + "limits: expected a mapping of keys, got '5'",
                only(refused("plaintext: true\nlimits: 5\n", PostConfig.class)));
        assertEquals(at(2) + "fcm: expected true or false, got 'sometimes'",
                only(refused("plaintext: true\nfcm: sometimes\n", PostConfig.class)));
        assertEquals(at(2) + "log.level: expected one of error, warn, info, debug, trace, got 'loud'",
                only(refused("plaintext: true\nlog: {level: loud}\n", PostConfig.class)));
        assertEquals(at(2) + "proxy.url: expected http://HOST:PORT or https://HOST:PORT, got scheme 'socks5'",
                only(refused("plaintext: true\nproxy: {url: 'socks5://p:1080'}\n", PostConfig.class)));
        assertEquals(at(3) + "allow-sources: expected a list, got 'a'",
                only(refused("plaintext: true\n\nallow-sources: a\n", PostConfig.class)).replace("'a'", "'a'"));
    }

    @Test
    void aBadCidrShouldNameItsListIndexAndLine() throws Exception {
        assertEquals(at(5) + "allow-sources[2]: host bits set in 10.1.2.3/8 (did you mean 10.0.0.0/8?)",
                only(refused("plaintext: true\nallow-sources:\n  - 127.0.0.0/8\n  - ::1\n  - 10.1.2.3/8\n", PostConfig.class)));
        assertEquals(at(4) + "allow-sources[1]: expected an address range such as 10.0.0.0/8 or fd00::/8, got 'office'",
                only(refused("plaintext: true\nallow-sources:\n  - 127.0.0.0/8\n  - office\n", PostConfig.class)));
        assertEquals(at(2) + "allow-sources: empty: nobody could connect (0.0.0.0/0 and ::/0 allow everyone)",
                only(refused("plaintext: true\nallow-sources: []\n", PostConfig.class)));
    }

    @Test
    void plaintextWithTlsShouldBeRefused() throws Exception {
        assertEquals(at(2) + "tls: must be absent with plaintext: true (cleartext HTTP/1.1)",
                only(refused("plaintext: true\ntls:\n  cert: s.pem\n  key: s.key\n", PostConfig.class)));
        assertEquals(at(2) + "client-ca: client certificates need TLS; impossible with plaintext: true",
                only(refused("plaintext: true\nclient-ca: ca.pem\n", PostConfig.class)));
    }

    @Test
    void allowClientsWithoutClientCaShouldBeRefused() throws Exception {
        assertEquals(at(3) + "allow-clients: needs client-ca (the CA the allowed client certificates chain to)",
                only(refused("tls: {cert: s.pem, key: s.key}\n\nallow-clients: [relay-pre]\n", PostConfig.class)));
        assertEquals(at(3) + "allow-clients[1]: empty name",
                only(refused("tls: {cert: s.pem, key: s.key}\nclient-ca: ca.pem\nallow-clients: [relay-pre, ' ']\n",
                        PostConfig.class)));
    }

    @Test
    void aMissingRequiredKeyShouldNameTheFileAndTheClosestLine() throws Exception {
        Path f = write("c.yaml", "listen: 0.0.0.0:443\n");
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, PreConfig.class));
        assertEquals("config " + f + ": tls: required: cert and key of the certificate relay-pre shows as "
                + "api.push.apple.com, api.sandbox.push.apple.com, api.development.push.apple.com (or passthrough: true)", only(e));
        assertEquals(at(1) + "tls.key: required: the PEM private key of tls.cert",
                only(refused("tls:\n  cert: s.pem\n", PreConfig.class)));
        assertEquals("config " + f + ": tls: required: cert and key of relay-post's listener (or plaintext: true for cleartext HTTP/1.1)",
                only(refused("plaintext: false\n", PostConfig.class)));
    }

    @Test
    void crossKeyRulesShouldBeEnforced() throws Exception {
        String tls = "tls: {cert: s.pem, key: s.key}\n";
        assertEquals(at(2) + "tls: not used with passthrough: true (TLS passes through untouched)",
                only(refused("passthrough: true\n" + tls, PreConfig.class)));
        assertEquals(at(2) + "via: impossible with passthrough: true (relay-pre would have to read the requests)",
                only(refused("passthrough: true\nvia: {url: 'https://post:8443'}\n", PreConfig.class)));
        assertEquals(at(2) + "upstream.apns-client-cert: not used with passthrough: true (the push service's own certificate passes through)",
                only(refused("passthrough: true\nupstream: {apns-client-cert: a.p12}\n", PreConfig.class)));
        assertEquals(at(2) + "via.client-key: client-cert and client-key go together",
                only(refused(tls + "via: {url: 'https://post:8443', client-cert: c.pem}\n", PreConfig.class)));
        assertEquals(at(2) + "via.ca: only used with an https:// url; the url is http://post:8080",
                only(refused(tls + "via: {url: 'http://post:8080', ca: ca.pem}\n", PreConfig.class)));
        assertEquals(at(2) + "via.url: relay-post takes no user or password; use client-cert and client-key",
                only(refused(tls + "via: {url: 'https://u@post:8443'}\n", PreConfig.class)));
        assertEquals(at(2) + "proxy.password-file: needs a user in the url (http://USER@host:port)",
                only(refused(tls + "proxy: {url: 'http://p:3128', password-file: pw}\n", PreConfig.class)));
        assertEquals(at(2) + "proxy.password-file: the url carries a password already; keep one of them (the file is safer)",
                only(refused(tls + "proxy: {url: 'http://u:x@p:3128', password-file: pw}\n", PreConfig.class)));
        assertEquals(at(2) + "proxy.ca: only used for an https:// proxy; the url is http://p:3128",
                only(refused(tls + "proxy: {url: 'http://p:3128', ca: ca.pem}\n", PreConfig.class)));
        assertEquals(at(2) + "upstream.apns-client-cert-password-file: needs apns-client-cert",
                only(refused(tls + "upstream: {apns-client-cert-password-file: pw}\n", PreConfig.class)));
        assertEquals(at(3) + "admin.listen: the same address as listen (127.0.0.1:443)",
                only(refused(tls + "listen: 127.0.0.1:443\nadmin: {listen: 127.0.0.1:443}\n", PreConfig.class)));
        assertEquals(at(4) + "tls.sni[1].host: 'a.example.com' is listed twice",
                only(refused("tls:\n  cert: s.pem\n  key: s.key\n  sni: [{host: a.example.com, cert: a, key: b}, "
                        + "{host: A.example.com, cert: c, key: d}]\n", PreConfig.class)));
        PreConfig passthrough = ConfigLoader.load(write("p.yaml", "passthrough: true\n"), PreConfig.class);
        assertNull(passthrough.tls());
        assertTrue(passthrough.files().isEmpty());
    }

    @Test
    void routeProblemsShouldNameTheRoute() throws Exception {
        String tls = "tls: {cert: s.pem, key: s.key}\n";
        assertEquals(at(3) + "routes.api.push.apple.com: port 0 only makes sense for a listener, got 127.0.0.1:0",
                only(refused(tls + "routes:\n  api.push.apple.com: 127.0.0.1:0\n", PreConfig.class)));
        assertEquals(at(3) + "routes.not a name: 'not a name' is not a host name",
                only(refused(tls + "routes:\n  not a name: 127.0.0.1:1\n", PreConfig.class)));
        assertEquals(at(3) + "routes.api.push.apple.com: expected HOST:PORT, got 'apple' (no port)",
                only(refused(tls + "routes:\n  api.push.apple.com: apple\n", PreConfig.class)));
        assertEquals(at(2) + "routes: empty: nothing could be relayed (leave routes out for the APNS hosts)",
                only(refused(tls + "routes: {}\n", PreConfig.class)));
        assertEquals(at(4) + "routes.api.push.apple.com: 'api.push.apple.com' is routed twice",
                only(refused(tls + "routes:\n  API.push.apple.com: a:1\n  api.push.apple.com: b:1\n", PreConfig.class)));
    }

    @Test
    void yamlProblemsShouldNameTheirLine() throws Exception {
        assertEquals(at(2) + "listen: duplicate key (first at line 1)",
                only(refused("listen: 0.0.0.0:1\nlisten: 0.0.0.0:2\n", PreConfig.class)));
        assertTrue(only(refused("plaintext: true\nlisten: [::]:443\n", PostConfig.class))
                .startsWith(at(2) + "YAML syntax: "));
        assertTrue(only(refused("plaintext: true\n  bad: indent\n", PostConfig.class)).startsWith(at(2) + "YAML syntax: "));
        assertEquals(at(1) + "expected a mapping of keys (listen: ..., tls: ...), got a list",
                only(refused("- a\n- b\n", PostConfig.class)));
        assertEquals(at(3) + "a second YAML document; a config file holds one",
                only(refused("plaintext: true\n---\nplaintext: false\n", PostConfig.class)));
        Path missing = dir.resolve("nope.yaml");
        assertEquals("config " + missing + ": no such file",
                only(assertThrows(ConfigException.class, () -> ConfigLoader.load(missing, PostConfig.class))));
        Path binary = dir.resolve("bin.yaml");
        Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1});
        assertEquals("config " + binary + ": not UTF-8 text",
                only(assertThrows(ConfigException.class, () -> ConfigLoader.load(binary, PostConfig.class))));
        PostConfig empty = ConfigLoader.load(write("empty.yaml", "# nothing yet\n"), PostConfig.class,
                ConfigOverrides.none().set("--plaintext", "plaintext", true));
        assertTrue(empty.plaintext());
    }

    @Test
    void overridesShouldWinOverTheFileAndBeCheckedTheSameWay() throws Exception {
        Path f = write("pre.yaml", FULL_PRE);
        ConfigOverrides o = ConfigOverrides.none()
                .set("--listen", "listen", HostPort.parse("127.0.0.1:0"))
                .set("--request-timeout", "upstream.request-timeout", Duration.ofSeconds(2))
                .set("--route", List.of("routes", "api.push.apple.com"), "127.0.0.1:1234")
                .set("--direct", "proxy", null)
                .set("--cert", "tls.cert", Path.of("relative.pem"))
                .set("--access-log", "log.access-log", "off");
        PreConfig c = ConfigLoader.load(f, PreConfig.class, o);
        assertEquals(new HostPort("127.0.0.1", 0), c.listen());
        assertEquals(Duration.ofSeconds(2), c.upstream().requestTimeout());
        assertEquals(Duration.ofMillis(1500), c.upstream().connectTimeout(), "the rest of the section stays");
        assertEquals(new HostPort("127.0.0.1", 1234), c.routes().get("api.push.apple.com"));
        assertEquals(new HostPort("::1", 9444), c.routes().get("api.sandbox.push.apple.com"));
        assertNull(c.proxy());
        assertEquals(Path.of("relative.pem").toAbsolutePath(), c.tls().cert(), "a flag's path is relative to the working dir");
        assertEquals(AccessLog.OFF, c.log().accessLog());

        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, PreConfig.class,
                ConfigOverrides.none().set("--max-connections", "limits.max-connections", 0)));
        assertEquals("config flag --max-connections: limits.max-connections: must be at least 1, got 0", only(e));
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, PreConfig.class,
                ConfigOverrides.none().set("--listen", "listen", "nowhere")));
        assertEquals("config flag --listen: listen: expected HOST:PORT, got 'nowhere' (no port)", only(e));
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, PreConfig.class,
                ConfigOverrides.none().set("--typo", "limits.max-conections", 3)));
        assertEquals("config flag --typo: limits.max-conections: unknown key (did you mean 'max-connections'?)", only(e));
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, PreConfig.class,
                ConfigOverrides.none().set("--typo", "limits.max-concurrent", 3)));
        assertEquals("config flag --typo: limits.max-concurrent: unknown key (did you mean 'max-concurrent-streams'?)", only(e));
        e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, PreConfig.class,
                ConfigOverrides.none().set("--passthrough", "passthrough", true)));
        assertEquals("config " + f + ":2: tls: not used with passthrough: true (TLS passes through untouched)", only(e),
                "a rule broken between a flag and the file points at the file's line");
    }

    @Test
    void flagsAloneShouldMakeAConfig() throws Exception {
        PostConfig c = ConfigLoader.load(null, PostConfig.class, ConfigOverrides.none()
                .set("--plaintext", "plaintext", true)
                .set("--listen", "listen", "127.0.0.1:0")
                .set("--allow-sources", "allow-sources", List.of(Cidr.parse("127.0.0.1"), "::1"))
                .set("--fcm", "fcm", true));
        assertEquals(List.of(Cidr.parse("127.0.0.1/32"), Cidr.parse("::1/128")), c.allowSources());
        assertEquals(5, c.routes().size());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, PostConfig.class,
                ConfigOverrides.none()));
        assertEquals("config command line: tls: required: cert and key of relay-post's listener "
                + "(or plaintext: true for cleartext HTTP/1.1)", only(e));
    }

    @Test
    void overridingALoadedConfigShouldCheckItAgain() throws Exception {
        PostConfig base = ConfigLoader.load(write("post.yaml", FULL_POST), PostConfig.class);
        PostConfig moved = base.withOverrides(ConfigOverrides.none().set("--listen", "listen", "127.0.0.1:0"));
        assertEquals(new HostPort("127.0.0.1", 0), moved.listen());
        assertEquals(base.limits(), moved.limits());
        assertEquals(base.allowSources(), moved.allowSources());
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.override(base,
                ConfigOverrides.none().set("--plaintext", "plaintext", true)));
        assertEquals("config config: tls: must be absent with plaintext: true (cleartext HTTP/1.1)", only(e));
    }

    @Test
    void renderShouldRedactPasswordsAndReadBackEqual() throws Exception {
        String yaml = FULL_PRE.replace("http://relay@proxy.corp:3128", "http://relay:hunter%232@proxy.corp:3128")
                .replace("  password-file: /etc/pr/proxy.password\n", "");
        PreConfig c = ConfigLoader.load(write("pre.yaml", yaml), PreConfig.class);
        assertEquals("hunter#2", c.proxy().url().password());

        String redacted = c.render(true);
        assertFalse(redacted.contains("hunter"), redacted);
        assertTrue(redacted.contains("url: http://relay:REDACTED@proxy.corp:3128"), redacted);
        assertFalse(c.toString().contains("hunter"), "toString is for logs");
        assertFalse(c.proxy().toString().contains("hunter"));

        String full = ConfigLoader.render(c, false);
        assertTrue(full.contains("http://relay:hunter%232@proxy.corp:3128"), full);
        assertEquals(c, ConfigLoader.parse(full, "rendered", null, PreConfig.class));

        PostConfig post = ConfigLoader.load(write("post.yaml", FULL_POST), PostConfig.class);
        assertEquals(post, ConfigLoader.parse(ConfigLoader.render(post, true), "rendered", null, PostConfig.class));
    }

    @Test
    void renderShouldShowEveryEffectiveKeyInSchemaOrder() throws Exception {
        PreConfig c = ConfigLoader.load(write("pre.yaml", "tls: {cert: /s.pem, key: /s.key}\nproxy: {url: 'http://u@p:1', "
                + "password-file: /pw}\n"), PreConfig.class);
        assertEquals("""
                listen: 0.0.0.0:443
                tls:
                  cert: /s.pem
                  key: /s.key
                proxy:
                  url: http://u@p:1
                  password-file: /pw
                upstream:
                  max-connections-per-host: 4
                  request-timeout: 10s
                  connect-timeout: 5s
                  ping-interval: 1m
                  idle-timeout: 5m
                routes:
                  api.push.apple.com: api.push.apple.com:443
                  api.sandbox.push.apple.com: api.sandbox.push.apple.com:443
                  api.development.push.apple.com: api.development.push.apple.com:443
                fcm: false
                passthrough: false
                admin:
                  listen: 127.0.0.1:9901
                limits:
                  max-connections: 10000
                  handshake-timeout: 10s
                  idle-timeout: 5m
                  max-concurrent-streams: 1000
                drain-timeout: 30s
                log:
                  format: text
                  access-log: stdout
                  level: info
                """, ConfigLoader.render(c, true));
    }

    @Test
    void fileCheckShouldReportMissingUnreadableAndWorldReadableSecrets() throws Exception {
        Path cert = Files.writeString(dir.resolve("s.pem"), "x");
        Path key = Files.writeString(dir.resolve("s.key"), "x");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Files.createDirectory(dir.resolve("ca.pem"));
        PostConfig c = ConfigLoader.load(write("post.yaml", """
                tls: {cert: s.pem, key: s.key}
                client-ca: ca.pem
                upstream: {apns-client-cert: apns.p12}
                """), PostConfig.class);
        assertEquals(List.of(new ConfigFile("tls.cert", cert, false), new ConfigFile("tls.key", key, true),
                new ConfigFile("client-ca", dir.resolve("ca.pem"), false),
                new ConfigFile("upstream.apns-client-cert", dir.resolve("apns.p12"), true)), c.files());
        assertEquals(List.of(
                "tls.key: " + key + ": readable by every user; chmod 600 (or 640 with group push-relay)",
                "client-ca: " + dir.resolve("ca.pem") + ": not a regular file",
                "upstream.apns-client-cert: " + dir.resolve("apns.p12") + ": no such file"), FileCheck.check(c));
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        Files.delete(dir.resolve("ca.pem"));
        Files.writeString(dir.resolve("ca.pem"), "x");
        Files.writeString(dir.resolve("apns.p12"), "x");
        Files.setPosixFilePermissions(dir.resolve("apns.p12"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals(List.of(), FileCheck.check(c));
    }
}
