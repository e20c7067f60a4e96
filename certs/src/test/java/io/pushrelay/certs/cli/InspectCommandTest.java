package io.pushrelay.certs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.certs.CertificateText;
import io.pushrelay.certs.Pem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code certs inspect} on PEM chains, keys, DER and PKCS#12. */
class InspectCommandTest {
    @TempDir
    static Path root;

    static Path ca;
    static Path tls;
    static Path password;

    @BeforeAll
    static void pki() throws Exception {
        ca = TestPki.ca(root, "ca");
        tls = root.resolve("tls");
        password = Files.writeString(root.resolve("p12.pass"), "p12 secret\n");
        Cli.ok("server", "create", "--ca", ca.toString(), "--out", tls.toString(), "--host", "api.push.apple.com",
                "--ip", "127.0.0.1", "--days", "30", "--p12-password-file", password.toString());
    }

    @Test
    void inspectShouldDescribeEveryCertificateOfAPemChain() {
        String out = Cli.ok("inspect", tls.resolve("server.pem").toString()).out();
        X509Certificate leaf = Pem.readCertificates(tls.resolve("server.pem")).get(0);
        assertTrue(out.startsWith(tls.resolve("server.pem") + " (PEM): certificate 1 of 2\n"), out);
        assertTrue(out.contains(tls.resolve("server.pem") + " (PEM): certificate 2 of 2\n"), out);
        for (String line : new String[] {
            "  subject:           CN=api.push.apple.com, O=push-relay\n",
            "  SANs:              DNS:api.push.apple.com, IP:127.0.0.1\n",
            "  issuer:            CN=push-relay CA, O=push-relay\n",
            "  key:               EC P-256\n",
            "  SHA-256:           " + CertificateText.fingerprint(leaf) + "\n",
            "  basic constraints: not a CA (critical)\n",
            "  ext. key usage:    serverAuth\n",
            "  basic constraints: CA, path length 0 (critical)\n",
            "  name constraints:  permitted DNS:api.push.apple.com, DNS:api.sandbox.push.apple.com,"
                    + " DNS:api.development.push.apple.com, DNS:fcm.googleapis.com, DNS:oauth2.googleapis.com,"
                    + " IP:127.0.0.0/8, IP:::1/128 (critical)\n"}) {
            assertTrue(out.contains(line), () -> "missing " + line + "in\n" + out);
        }
        assertTrue(out.matches("(?s).*  valid: +\\S+ \\S+ UTC to \\S+ \\S+ UTC \\((29|30) days left\\)\n.*"), out);
    }

    @Test
    void inspectShouldTellAKeyFileItsType() {
        assertEquals(tls.resolve("server.key") + " (PEM): private key, EC P-256 (PKCS#8, not encrypted)\n",
                Cli.ok("inspect", tls.resolve("server.key").toString()).out());
    }

    @Test
    void inspectShouldReadDer() throws Exception {
        X509Certificate cert = Pem.readCertificates(ca.resolve("ca.pem")).get(0);
        Path der = Files.write(root.resolve("ca.der"), cert.getEncoded());
        String out = Cli.ok("inspect", der.toString()).out();
        assertTrue(out.startsWith(der + " (DER): certificate\n  subject:           CN=push-relay CA, O=push-relay\n"), out);
        assertTrue(out.contains("issuer:            CN=push-relay CA, O=push-relay (self-issued)"), out);
    }

    @Test
    void inspectShouldReadPkcs12WithItsPassword() {
        Path p12 = tls.resolve("server.p12");
        String out = Cli.ok("inspect", "--password-file", password.toString(), p12.toString()).out();
        assertTrue(out.startsWith(p12 + " (PKCS#12): entry 'server': private key, EC P-256 (with its chain below)\n"
                + p12 + " (PKCS#12): certificate 1 of 2\n  subject:           CN=api.push.apple.com, O=push-relay\n"), out);
    }

    @Test
    void inspectOfPkcs12WithoutPasswordShouldSayWhatIsMissing() {
        Path p12 = tls.resolve("server.p12");
        Cli.Run run = Cli.run("inspect", p12.toString());
        assertEquals(1, run.code(), run::toString);
        assertEquals("ERROR: read " + p12 + ": PKCS#12 file: give --password-file\n", run.err());
    }

    @Test
    void inspectOfPkcs12WithWrongPasswordShouldFail() throws Exception {
        Path wrong = Files.writeString(root.resolve("wrong.pass"), "nope\n");
        Path p12 = tls.resolve("server.p12");
        Cli.Run run = Cli.run("inspect", "--password-file", wrong.toString(), p12.toString());
        assertEquals(1, run.code(), run::toString);
        assertEquals("ERROR: unlock " + p12 + ": wrong password\n", run.err());
    }

    @Test
    void inspectShouldGoOnAfterABadFileAndExit1() throws Exception {
        Path junk = Files.writeString(root.resolve("junk.txt"), "not a certificate\n");
        Cli.Run run = Cli.run("inspect", junk.toString(), ca.resolve("ca.pem").toString());
        assertEquals(1, run.code(), run::toString);
        assertTrue(run.err().startsWith("ERROR: read " + junk + ": not a PEM, DER or PKCS#12 file\n"), run::toString);
        assertTrue(run.out().startsWith(ca.resolve("ca.pem") + " (PEM): certificate\n"), run::toString);
    }
}
