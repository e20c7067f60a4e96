package io.pushrelay.certs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A CA key encrypted with a passphrase file: written encrypted, read back, refused with a wrong one. */
class EncryptedCaKeyTest {
    @TempDir
    static Path root;

    static Path ca;
    static Path passphrase;

    @BeforeAll
    static void pki() throws Exception {
        passphrase = Files.writeString(root.resolve("ca.pass"), "correct horse battery staple\r\nsecond line ignored\n");
        ca = TestPki.ca(root, "ca", "--passphrase-file", passphrase.toString());
    }

    @Test
    void encryptedCaKeyShouldBeOwnerOnlyPkcs8AndReadableByOpenssl() throws Exception {
        Path key = ca.resolve("ca.key");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(ca)));
        assertTrue(Files.readString(key).startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        // The passphrase is the first line without its CR LF; OpenSSL reads the first line the same way.
        Path plain = Files.writeString(root.resolve("openssl.pass"), "correct horse battery staple\n");
        Programs.Result result = Programs.run(root, List.of(Programs.require("openssl"), "pkey", "-in", key.toString(),
                "-passin", "file:" + plain, "-noout", "-text_pub"));
        assertEquals(0, result.code(), result::toString);
        assertTrue(result.out().contains("NIST CURVE: P-256"), result::toString);
    }

    @Test
    void encryptedCaKeyShouldSignWithThePassphrase() {
        Path out = root.resolve("tls");
        Cli.Run run = Cli.ok("server", "create", "--ca", ca.toString(), "--out", out.toString(),
                "--host", "api.push.apple.com", "--passphrase-file", passphrase.toString());
        assertTrue(run.out().startsWith("Issued server certificate CN=api.push.apple.com, O=push-relay"), run::toString);
        Cli.ok("verify", "--ca", ca.toString(), "--host", "api.push.apple.com", out.resolve("server.pem").toString());
    }

    @Test
    void wrongPassphraseShouldFailClearlyWithoutWritingFiles() throws Exception {
        Path wrong = Files.writeString(root.resolve("wrong.pass"), "Tr0ub4dor&3\n");
        Path out = root.resolve("wrong");
        Cli.Run run = Cli.run("server", "create", "--ca", ca.toString(), "--out", out.toString(),
                "--host", "api.push.apple.com", "--passphrase-file", wrong.toString());
        assertEquals(1, run.code(), run::toString);
        assertEquals("ERROR: unlock " + ca.resolve("ca.key") + ": wrong passphrase\n", run.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void encryptedCaKeyWithoutPassphraseShouldSaySo() {
        Path out = root.resolve("none");
        Cli.Run run = Cli.run("client", "create", "--ca", ca.toString(), "--out", out.toString(), "--name", "relay-pre");
        assertEquals(1, run.code(), run::toString);
        assertEquals("ERROR: read " + ca.resolve("ca.key") + ": key is encrypted (give --passphrase-file)\n", run.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void inspectShouldTellAnEncryptedKeyAndItsTypeWithThePassphrase() {
        String key = ca.resolve("ca.key").toString();
        assertEquals(key + " (PEM): private key, encrypted (PKCS#8, PBES2); give --password-file to see its type\n",
                Cli.ok("inspect", key).out());
        assertEquals(key + " (PEM): private key, EC P-256 (PKCS#8, encrypted, PBES2)\n",
                Cli.ok("inspect", "--password-file", passphrase.toString(), key).out());
    }
}
