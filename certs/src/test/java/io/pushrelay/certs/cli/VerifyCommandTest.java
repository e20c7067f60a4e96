package io.pushrelay.certs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code certs verify}: chain, the CA's name constraints, the host; OK and exit 0, or the reason and exit 1. */
class VerifyCommandTest {
    @TempDir
    static Path root;

    static Path ca;
    static Path server;

    @BeforeAll
    static void pki() {
        ca = TestPki.ca(root, "ca");
        Cli.ok("server", "create", "--ca", ca.toString(), "--out", root.resolve("tls").toString(),
                "--host", "api.push.apple.com", "*.api.sandbox.push.apple.com", "--ip", "127.0.0.1");
        server = root.resolve("tls/server.pem");
    }

    private static String caPem() {
        return ca.resolve("ca.pem").toString();
    }

    @Test
    void verifyShouldSayOkForTheRightHost() {
        Cli.Run run = Cli.ok("verify", "--ca", caPem(), "--host", "api.push.apple.com", server.toString());
        assertTrue(run.out().startsWith("OK: " + server + ": CN=api.push.apple.com, O=push-relay, issued by"
                + " CN=push-relay CA, O=push-relay, valid until "), run::toString);
        assertTrue(run.out().endsWith("; api.push.apple.com matches DNS:api.push.apple.com\n"), run::toString);
    }

    @Test
    void verifyShouldMatchAWildcardForOneLabelOnly() {
        assertTrue(Cli.ok("verify", "--ca", caPem(), "--host", "a.api.sandbox.push.apple.com", server.toString())
                .out().endsWith("matches DNS:*.api.sandbox.push.apple.com\n"));
        Cli.Run deeper = Cli.run("verify", "--ca", caPem(), "--host", "a.b.api.sandbox.push.apple.com", server.toString());
        assertEquals(1, deeper.code(), deeper::toString);
    }

    @Test
    void verifyShouldMatchAnAddress() {
        assertTrue(Cli.ok("verify", "--ca", ca.toString(), "--host", "127.0.0.1", server.toString())
                .out().endsWith("; 127.0.0.1 matches IP:127.0.0.1\n"));
    }

    @Test
    void verifyWithWrongHostShouldExit1WithTheReason() {
        Cli.Run run = Cli.run("verify", "--ca", caPem(), "--host", "fcm.googleapis.com", server.toString());
        assertEquals(1, run.code(), run::toString);
        assertEquals("", run.out());
        assertEquals("ERROR: verify " + server + ": host fcm.googleapis.com does not match the certificate (names:"
                + " DNS:api.push.apple.com, DNS:*.api.sandbox.push.apple.com, IP:127.0.0.1)\n", run.err());
    }

    @Test
    void verifyShouldRefuseACertificateOfAnotherCa() {
        Path other = TestPki.ca(root, "other");
        Cli.Run run = Cli.run("verify", "--ca", other.resolve("ca.pem").toString(), server.toString());
        assertEquals(1, run.code(), run::toString);
        assertTrue(run.err().startsWith("ERROR: verify " + server + ": signature does not verify with the CA's key"),
                run::toString);
    }

    @Test
    void verifyShouldEnforceTheCaNameConstraintsTheJdkIgnores() throws Exception {
        // The JDK's PKIX validator passes this certificate: it skips a trust anchor's constraints.
        Path forged = TestPki.forge(ca, root.resolve("forged"), "www.example.com");
        Cli.Run run = Cli.run("verify", "--ca", caPem(), forged.toString());
        assertEquals(1, run.code(), run::toString);
        assertTrue(run.err().startsWith("ERROR: verify " + forged + ": DNS:www.example.com is outside the CA's name"
                + " constraints (permitted: api.push.apple.com,"), run::toString);
    }

    @Test
    void verifyShouldRefuseAClientCertificateForAHost() {
        Cli.ok("client", "create", "--ca", ca.toString(), "--out", root.resolve("client").toString(), "--name", "relay-pre");
        Path client = root.resolve("client/relay-pre.pem");
        Cli.ok("verify", "--ca", caPem(), client.toString());
        Cli.Run run = Cli.run("verify", "--ca", caPem(), "--host", "api.push.apple.com", client.toString());
        assertEquals(1, run.code(), run::toString);
        assertTrue(run.err().endsWith(": not a TLS server certificate (extended key usage lacks serverAuth)\n"),
                run::toString);
    }

    @Test
    void verifyWithWildcardHostShouldBeAUsageError() {
        Cli.Run run = Cli.run("verify", "--ca", caPem(), "--host", "*.push.apple.com", server.toString());
        assertEquals(2, run.code(), run::toString);
        assertTrue(run.err().contains("'--host'"), run::toString);
    }
}
