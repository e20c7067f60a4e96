package io.pushrelay.certs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input through the command line, in this JVM: each must give a message naming the
 * problem, the right exit code (2 usage, 1 failed), no stack trace, and no file written.
 */
class BadInputTest {
    @TempDir
    Path root;

    Path ca;

    @BeforeEach
    void pki() {
        ca = TestPki.ca(root, "ca");
    }

    /** Every file under root, to show that a failed command wrote nothing. */
    private List<String> files() throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            return walk.map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    private Cli.Run refused(int code, String... args) throws IOException {
        List<String> before = files();
        Cli.Run run = Cli.run(args);
        assertEquals(code, run.code(), run::toString);
        assertEquals("", run.out(), run::toString);
        assertTrue(run.err().startsWith("ERROR: "), run::toString);
        assertFalse(run.err().contains("\tat "), () -> "stack trace without -v\n" + run);
        assertEquals(before, files(), "files written by a failed command");
        return run;
    }

    private String out() {
        return root.resolve("tls").toString();
    }

    @Test
    void unknownKeyTypeShouldBeAUsageErrorListingTheTypes() throws IOException {
        Cli.Run run = refused(2, "ca", "create", "--dir", root.resolve("ca2").toString(), "--key-type", "rsa-1024");
        assertTrue(run.err().contains("'--key-type'"), run::toString);
        assertTrue(run.err().contains("unknown key type 'rsa-1024' (use one of: ec-p256, ec-p384, rsa-2048, rsa-3072,"
                + " rsa-4096)"), run::toString);
        assertTrue(run.err().contains("Try 'push-relay certs ca create --help'."), run::toString);
    }

    @Test
    void zeroDaysShouldBeAUsageError() throws IOException {
        Cli.Run run = refused(2, "server", "create", "--ca", ca.toString(), "--out", out(),
                "--host", "api.push.apple.com", "--days", "0");
        assertTrue(run.err().contains("'--days'") && run.err().contains("must be at least 1 day, got 0"), run::toString);
    }

    @Test
    void emptyHostShouldBeAUsageError() throws IOException {
        Cli.Run run = refused(2, "server", "create", "--ca", ca.toString(), "--out", out(), "--host", "");
        assertTrue(run.err().contains("'--host'") && run.err().contains("empty host name"), run::toString);
    }

    @Test
    void malformedHostShouldBeAUsageError() throws IOException {
        Cli.Run run = refused(2, "server", "create", "--ca", ca.toString(), "--out", out(), "--host", "api..apple.com");
        assertTrue(run.err().contains("'--host'") && run.err().contains("malformed host name 'api..apple.com'"),
                run::toString);
    }

    @Test
    void addressGivenAsHostShouldPointToIp() throws IOException {
        Cli.Run run = refused(2, "server", "create", "--ca", ca.toString(), "--out", out(), "--host", "127.0.0.1");
        assertTrue(run.err().contains("use --ip"), run::toString);
    }

    @Test
    void malformedAddressShouldBeAUsageError() throws IOException {
        Cli.Run run = refused(2, "server", "create", "--ca", ca.toString(), "--out", out(), "--ip", "256.1.1.1");
        assertTrue(run.err().contains("'--ip'") && run.err().contains("malformed IP address '256.1.1.1'"), run::toString);
    }

    @Test
    void serverWithoutNamesShouldBeAUsageError() throws IOException {
        Cli.Run run = refused(2, "server", "create", "--ca", ca.toString(), "--out", out());
        assertTrue(run.err().contains("give at least one --host NAME or --ip ADDR"), run::toString);
    }

    @Test
    void missingRequiredOptionShouldBeAUsageErrorNamingIt() throws IOException {
        Cli.Run run = refused(2, "ca", "create");
        assertTrue(run.err().contains("Missing required option: '--dir=DIR'"), run::toString);
    }

    @Test
    void nameOutsideConstraintsShouldBeRefusedNamingTheConstraint() throws IOException {
        Cli.Run run = refused(1, "server", "create", "--ca", ca.toString(), "--out", out(),
                "--host", "api.push.apple.com", "--host", "www.example.com");
        assertEquals("ERROR: check www.example.com: name outside the CA's name constraints (permitted:"
                + " api.push.apple.com, api.sandbox.push.apple.com, api.development.push.apple.com, fcm.googleapis.com,"
                + " oauth2.googleapis.com; create the CA with --permit www.example.com)\n", run.err());
    }

    @Test
    void addressOutsideConstraintsShouldBeRefusedNamingTheRanges() throws IOException {
        Cli.Run run = refused(1, "server", "create", "--ca", ca.toString(), "--out", out(), "--ip", "10.1.2.3");
        assertTrue(run.err().contains("address outside the CA's name constraints (permitted ranges: 127.0.0.0/8,"
                + " ::1/128; create the CA with --permit 10.1.2.3/32)"), run::toString);
    }

    @Test
    void dottedClientNameOutsideConstraintsShouldBeRefused() throws IOException {
        Cli.Run run = refused(1, "client", "create", "--ca", ca.toString(), "--out", out(), "--name", "pre.example.net");
        assertTrue(run.err().contains("name outside the CA's name constraints"), run::toString);
    }

    @Test
    void missingCaFolderShouldFailNamingIt() throws IOException {
        Path missing = root.resolve("no-such-ca");
        Cli.Run run = refused(1, "server", "create", "--ca", missing.toString(), "--out", out(),
                "--host", "api.push.apple.com");
        assertTrue(run.err().startsWith("ERROR: load CA " + missing + ": no such folder"), run::toString);
    }

    @Test
    void unreadableCaShouldFailNamingTheFile() throws IOException {
        // A folder where ca.pem should be: unreadable even for root, who ignores permissions.
        Path broken = Files.createDirectories(root.resolve("broken-ca").resolve("ca.pem"));
        Cli.Run run = refused(1, "server", "create", "--ca", broken.getParent().toString(), "--out", out(),
                "--host", "api.push.apple.com");
        assertTrue(run.err().startsWith("ERROR: read " + broken + ": "), run::toString);
    }

    @Test
    void caKeyFromAnotherCaShouldFail() throws IOException {
        Path other = TestPki.ca(root, "other");
        Files.copy(other.resolve("ca.key"), ca.resolve("ca.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Cli.Run run = refused(1, "server", "create", "--ca", ca.toString(), "--out", out(), "--host", "api.push.apple.com");
        assertTrue(run.err().contains("ca.key does not belong to ca.pem"), run::toString);
    }

    @Test
    void caFileGivenForCaFolderShouldBeAUsageError() throws IOException {
        Cli.Run run = refused(2, "server", "create", "--ca", ca.resolve("ca.pem").toString(), "--out", out(),
                "--host", "api.push.apple.com");
        assertTrue(run.err().contains("--ca takes the CA folder"), run::toString);
    }

    @Test
    void existingServerFilesShouldNotBeOverwrittenWithoutForce() throws IOException {
        Path server = TestPki.server(ca, root.resolve("tls"), "api.push.apple.com");
        String before = Files.readString(server);
        Cli.Run run = refused(1, "server", "create", "--ca", ca.toString(), "--out", out(), "--host", "fcm.googleapis.com");
        assertEquals("ERROR: write " + server + ": file exists (use --force to overwrite)\n", run.err());
        assertEquals(before, Files.readString(server));

        Cli.ok("server", "create", "--ca", ca.toString(), "--out", out(), "--host", "fcm.googleapis.com", "--force");
        assertTrue(Cli.ok("inspect", server.toString()).out().matches("(?s).*SANs: +DNS:fcm.googleapis.com\n.*"));
    }

    @Test
    void existingCaShouldNotBeOverwrittenWithoutForce() throws IOException {
        String before = Files.readString(ca.resolve("ca.pem"));
        Cli.Run run = refused(1, "ca", "create", "--dir", ca.toString());
        assertTrue(run.err().startsWith("ERROR: write " + ca.resolve("ca.pem") + ": file exists (use --force"),
                run::toString);
        assertEquals(before, Files.readString(ca.resolve("ca.pem")));
    }

    @Test
    void leafNamedLikeTheCaInItsFolderShouldNeverReplaceTheCa() throws IOException {
        Cli.Run run = refused(1, "client", "create", "--ca", ca.toString(), "--out", ca.toString(), "--name", "ca", "--force");
        assertEquals("ERROR: write " + ca.resolve("ca.pem") + ": that is the CA's own file (choose another --out or name)\n",
                run.err());
    }

    @Test
    void p12WithoutPasswordFileShouldBeAUsageError() throws IOException {
        Cli.Run run = refused(2, "client", "create", "--ca", ca.toString(), "--out", out(), "--name", "relay-pre", "--p12");
        assertTrue(run.err().contains("--p12 needs --p12-password-file FILE"), run::toString);
    }

    @Test
    void emptyPasswordFileShouldFail() throws IOException {
        Path empty = Files.writeString(root.resolve("empty.pass"), "\n");
        Cli.Run run = refused(1, "client", "create", "--ca", ca.toString(), "--out", out(), "--name", "relay-pre",
                "--p12-password-file", empty.toString());
        assertEquals("ERROR: read --p12-password-file " + empty + ": the first line is empty\n", run.err());
    }

    @Test
    void permitWithLeadingDotShouldBeAUsageError() throws IOException {
        Cli.Run run = refused(2, "ca", "create", "--dir", root.resolve("ca2").toString(), "--permit", ".example.com");
        assertTrue(run.err().contains("write example.com"), run::toString);
    }

    @Test
    void unknownCommandShouldSuggestTheRightOne() throws IOException {
        Cli.Run run = refused(2, "ca", "crate");
        assertTrue(run.err().contains("Did you mean: ca create?"), run::toString);
    }

    @Test
    void nounWithoutVerbShouldBeAUsageError() throws IOException {
        Cli.Run run = refused(2, "server");
        assertTrue(run.err().contains("missing command (one of: create)"), run::toString);
    }

    @Test
    void verboseShouldAddTheStackTrace() {
        Cli.Run run = Cli.run("server", "create", "-v", "--ca", ca.toString(), "--out", out(), "--host", "www.example.com");
        assertEquals(1, run.code(), run::toString);
        assertTrue(run.err().startsWith("ERROR: check www.example.com: name outside"), run::toString);
        assertTrue(run.err().contains("io.pushrelay.certs.CertsException: check www.example.com")
                && run.err().contains("\tat io.pushrelay.certs.NameRules.check"), run::toString);
    }
}
