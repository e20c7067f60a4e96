package io.pushrelay.certs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What OpenSSL makes of the tool's certificates: {@code openssl verify} and {@code openssl x509 -text}. */
class OpensslInteropTest {
    @TempDir
    static Path root;

    static String openssl;
    static Path ca;
    static Path caPem;

    @BeforeAll
    static void pki() {
        openssl = Programs.require("openssl");
        ca = TestPki.ca(root, "ca", "--permit", "relay.example.net");
        caPem = ca.resolve("ca.pem");
    }

    private static Programs.Result verify(String purpose, Path pem) {
        return Programs.run(root, List.of(openssl, "verify", "-CAfile", caPem.toString(), "-purpose", purpose,
                pem.toString()));
    }

    @Test
    void serverCertShouldPassOpensslVerify() {
        Path server = TestPki.server(ca, root.resolve("server"), "api.push.apple.com", "api.sandbox.push.apple.com");
        Programs.Result result = verify("sslserver", server);
        assertEquals(0, result.code(), result::toString);
        assertEquals(server + ": OK\n", result.out());
    }

    @Test
    void caShouldShowCriticalNameConstraintsInOpensslText() {
        Programs.Result text = Programs.run(root, List.of(openssl, "x509", "-in", caPem.toString(), "-noout", "-text"));
        assertEquals(0, text.code(), text::toString);
        String out = text.out();
        assertTrue(out.contains("X509v3 Name Constraints: critical"), out);
        for (String name : List.of("DNS:api.push.apple.com", "DNS:api.sandbox.push.apple.com",
                "DNS:api.development.push.apple.com", "DNS:fcm.googleapis.com", "DNS:oauth2.googleapis.com",
                "DNS:relay.example.net", "IP:127.0.0.0/255.0.0.0", "IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF")) {
            assertTrue(out.contains(name), () -> name + " missing from\n" + out);
        }
        assertTrue(out.contains("X509v3 Basic Constraints: critical\n                CA:TRUE, pathlen:0"), out);
    }

    @Test
    void keyOutsideConstraintsShouldBeRefusedByOpenssl() throws Exception {
        Path forged = TestPki.forge(ca, root.resolve("forged"), "www.example.com");
        Programs.Result result = verify("sslserver", forged);
        assertNotEquals(0, result.code(), result::toString);
        assertTrue((result.out() + result.err()).contains("permitted subtree violation"), result::toString);
    }

    @Test
    void addressOnlyServerCertShouldPassOpensslVerify() {
        // Its CN must not look like a host name, or OpenSSL checks it against the DNS constraints.
        Path out = root.resolve("by-address");
        Cli.ok("server", "create", "--ca", ca.toString(), "--out", out.toString(), "--ip", "127.0.0.1", "::1");
        Programs.Result result = verify("sslserver", out.resolve("server.pem"));
        assertEquals(0, result.code(), result::toString);
    }

    @Test
    void oneLabelAndDottedClientCertsShouldPassOpensslVerifyAsSslClient() {
        Path out = root.resolve("clients");
        Cli.ok("client", "create", "--ca", ca.toString(), "--out", out.toString(), "--name", "relay-pre");
        Cli.ok("client", "create", "--ca", ca.toString(), "--out", out.toString(), "--name", "pre.relay.example.net");
        for (String name : List.of("relay-pre", "pre.relay.example.net")) {
            Programs.Result result = verify("sslclient", out.resolve(name + ".pem"));
            assertEquals(0, result.code(), result::toString);
        }
    }

    @Test
    void rsaCaAndServerCertShouldPassOpensslVerify() {
        Path rsaCa = TestPki.ca(root, "rsa-ca", "--key-type", "rsa-2048");
        Path out = root.resolve("rsa");
        Cli.ok("server", "create", "--ca", rsaCa.toString(), "--out", out.toString(), "--host", "fcm.googleapis.com",
                "--key-type", "rsa-2048");
        Programs.Result result = Programs.run(root, List.of(openssl, "verify", "-CAfile",
                rsaCa.resolve("ca.pem").toString(), "-purpose", "sslserver", out.resolve("server.pem").toString()));
        assertEquals(0, result.code(), result::toString);
        Programs.Result text = Programs.run(root, List.of(openssl, "x509", "-in", out.resolve("server.pem").toString(),
                "-noout", "-text"));
        assertTrue(text.out().contains("Digital Signature, Key Encipherment"), text::toString);
    }
}
