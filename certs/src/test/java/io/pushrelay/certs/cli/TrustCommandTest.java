package io.pushrelay.certs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.certs.Pem;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code certs trust}: the printed steps, and --install/--uninstall against a fake root (hidden
 * --root) whose update-ca-certificates and update-ca-trust are scripts that log their calls.
 * The real system trust store is never touched.
 */
class TrustCommandTest {
    @TempDir
    Path root;

    Path ca;
    Path caPem;
    Path system;

    @BeforeEach
    void pki() {
        ca = TestPki.ca(root, "ca");
        caPem = ca.resolve("ca.pem");
        system = root.resolve("system");
    }

    private void debian() throws IOException {
        Files.createDirectories(system.resolve("etc"));
        Files.writeString(system.resolve("etc/os-release"),
                "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nID=debian\n");
        tool("usr/sbin/update-ca-certificates", 0, "Updating certificates in /etc/ssl/certs...\n1 added, 0 removed; done.");
        Files.createDirectories(system.resolve("usr/local/share/ca-certificates"));
    }

    private void rhel(boolean osRelease) throws IOException {
        if (osRelease) {
            Files.createDirectories(system.resolve("etc"));
            Files.writeString(system.resolve("etc/os-release"),
                    "NAME=\"Rocky Linux\"\nID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nPRETTY_NAME=\"Rocky Linux 9.4\"\n");
        }
        tool("usr/bin/update-ca-trust", 0, "");
        Files.createDirectories(system.resolve("etc/pki/ca-trust/source/anchors"));
    }

    /** A stand-in for the refresh tool: logs "name args" to system/calls.log, prints, exits. */
    private void tool(String path, int exit, String output) throws IOException {
        Path script = system.resolve(path);
        Files.createDirectories(script.getParent());
        Files.writeString(script, "#!/bin/sh\n"
                + "echo \"$(basename \"$0\") $*\" >> '" + system.resolve("calls.log") + "'\n"
                + "printf '%s\\n' '" + output.replace("\n", "' '") + "'\n"
                + "exit " + exit + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private List<String> calls() throws IOException {
        Path log = system.resolve("calls.log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    private Cli.Run trust(String... args) {
        String[] all = new String[args.length + 5];
        all[0] = "trust";
        all[1] = "--ca";
        all[2] = caPem.toString();
        all[3] = "--root";
        all[4] = system.toString();
        System.arraycopy(args, 0, all, 5, args.length);
        return Cli.run(all);
    }

    @Test
    void printedStepsShouldGiveExactCommandsForEachSystem() throws IOException {
        debian();
        Cli.Run run = trust();
        assertEquals(0, run.code(), run::toString);
        String out = run.out();
        String path = caPem.toString();
        for (String line : List.of(
                "Debian, Ubuntu (this host):\n",
                "  sudo cp " + path + " /usr/local/share/ca-certificates/push-relay-ca.crt && sudo update-ca-certificates\n",
                "  undo: sudo rm /usr/local/share/ca-certificates/push-relay-ca.crt && sudo update-ca-certificates --fresh\n",
                "RHEL, CentOS, Rocky, Alma, Fedora, Amazon Linux:\n",
                "  sudo cp " + path + " /etc/pki/ca-trust/source/anchors/push-relay-ca.pem && sudo update-ca-trust extract\n",
                "  keytool -importcert -noprompt -alias push-relay-ca -file " + path + " -keystore push-relay-truststore.p12",
                "  sudo keytool -importcert -noprompt -cacerts -alias push-relay-ca -file " + path + " -storepass changeit\n",
                "  SSL_CERT_FILE=" + path + " ./program\n",
                "  curl --cacert " + path + " https://api.push.apple.com/\n")) {
            assertTrue(out.contains(line), () -> "missing " + line + " in\n" + out);
        }
        assertTrue(out.contains("Java does not enforce the name constraints of a trusted root CA"), out);
        assertEquals(List.of(), calls());
    }

    @Test
    void printedJavaStepShouldMakeATruststoreHoldingTheCa() throws Exception {
        String line = trust().out().lines().filter(l -> l.startsWith("  keytool -importcert")).findFirst().orElseThrow();
        List<String> command = new java.util.ArrayList<>(List.of(line.trim().split(" ")));
        command.set(0, Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        Programs.Result result = Programs.run(root, command);
        assertEquals(0, result.code(), result::toString);
        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(root.resolve("push-relay-truststore.p12"))) {
            store.load(in, "changeit".toCharArray());
        }
        assertEquals(Pem.readCertificates(caPem).get(0), store.getCertificate("push-relay-ca"));
    }

    @Test
    void debianInstallShouldCopyTheCaAndRunUpdateCaCertificates() throws IOException {
        debian();
        Cli.Run run = trust("--install");
        assertEquals(0, run.code(), run::toString);
        Path anchor = system.resolve("usr/local/share/ca-certificates/push-relay-ca.crt");
        assertArrayEquals(Pem.certificates(Pem.readCertificates(caPem)), Files.readAllBytes(anchor));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(anchor)));
        assertEquals(List.of("update-ca-certificates "), calls());
        assertTrue(run.out().startsWith("Trusted on Debian GNU/Linux 12 (bookworm):\n  copied to " + anchor), run::toString);
        assertTrue(run.out().contains("    | 1 added, 0 removed; done.\n"), run::toString);

        Cli.Run again = trust("--install");
        assertEquals(0, again.code(), again::toString);
        assertTrue(again.out().startsWith("Already trusted on Debian GNU/Linux 12 (bookworm)"), again::toString);
        assertEquals(1, calls().size(), "nothing to refresh the second time");
    }

    @Test
    void uninstallShouldRemoveTheCaAndRunUpdateCaCertificatesFresh() throws IOException {
        debian();
        Cli.ok("trust", "--ca", caPem.toString(), "--root", system.toString(), "--install");
        Cli.Run run = trust("--uninstall");
        assertEquals(0, run.code(), run::toString);
        assertFalse(Files.exists(system.resolve("usr/local/share/ca-certificates/push-relay-ca.crt")));
        assertEquals(List.of("update-ca-certificates ", "update-ca-certificates --fresh"), calls());
        assertTrue(run.out().startsWith("No longer trusted on Debian GNU/Linux 12 (bookworm):\n  removed "), run::toString);

        Cli.Run again = trust("--uninstall");
        assertEquals(0, again.code(), again::toString);
        assertTrue(again.out().startsWith("Not trusted on Debian GNU/Linux 12 (bookworm): no "), again::toString);
    }

    @Test
    void rhelInstallShouldUseTheAnchorsFolderAndUpdateCaTrustExtract() throws IOException {
        rhel(true);
        Cli.Run run = trust("--install");
        assertEquals(0, run.code(), run::toString);
        assertTrue(Files.exists(system.resolve("etc/pki/ca-trust/source/anchors/push-relay-ca.pem")));
        assertEquals(List.of("update-ca-trust extract"), calls());
    }

    @Test
    void toolShouldTellTheFamilyWhenOsReleaseIsSilent() throws IOException {
        rhel(false);
        Cli.Run run = trust("--install");
        assertEquals(0, run.code(), run::toString);
        assertEquals(List.of("update-ca-trust extract"), calls());
    }

    @Test
    void dryRunShouldChangeNothing() throws IOException {
        debian();
        Cli.Run run = trust("--install", "--dry-run");
        assertEquals(0, run.code(), run::toString);
        Path anchor = system.resolve("usr/local/share/ca-certificates/push-relay-ca.crt");
        assertEquals("Dry run on Debian GNU/Linux 12 (bookworm), nothing changed. Would:\n"
                + "  copy " + caPem + " to " + anchor + " (0644)\n"
                + "  run " + system.resolve("usr/sbin/update-ca-certificates") + "\n", run.out());
        assertFalse(Files.exists(anchor));
        assertEquals(List.of(), calls());
    }

    @Test
    void anotherCaInstalledShouldNeedForce() throws IOException {
        debian();
        Cli.ok("trust", "--ca", caPem.toString(), "--root", system.toString(), "--install");
        Path other = TestPki.ca(root, "other").resolve("ca.pem");
        Cli.Run run = Cli.run("trust", "--ca", other.toString(), "--root", system.toString(), "--install");
        assertEquals(1, run.code(), run::toString);
        assertTrue(run.err().contains("holds another CA (CN=push-relay CA, O=push-relay, SHA-256 "), run::toString);
        assertTrue(run.err().endsWith("use --force to replace it\n"), run::toString);
        Cli.ok("trust", "--ca", other.toString(), "--root", system.toString(), "--install", "--force");
        assertArrayEquals(Pem.certificates(Pem.readCertificates(other)),
                Files.readAllBytes(system.resolve("usr/local/share/ca-certificates/push-relay-ca.crt")));
    }

    @Test
    void failingRefreshShouldPutTheAnchorBack() throws IOException {
        debian();
        tool("usr/sbin/update-ca-certificates", 3, "E: something broke");
        Cli.Run run = trust("--install");
        assertEquals(1, run.code(), run::toString);
        assertTrue(run.err().contains("exit status 3: E: something broke"), run::toString);
        assertFalse(Files.exists(system.resolve("usr/local/share/ca-certificates/push-relay-ca.crt")));
    }

    @Test
    void unknownSystemShouldFailPointingToThePrintedSteps() throws IOException {
        Files.createDirectories(system.resolve("etc"));
        Files.writeString(system.resolve("etc/os-release"), "ID=plan9\nPRETTY_NAME=\"Plan 9\"\n");
        Cli.Run run = trust("--install");
        assertEquals(1, run.code(), run::toString);
        assertEquals("ERROR: find the system trust store: Plan 9 is neither of the Debian nor of the RHEL family"
                + " (by /etc/os-release and the tools installed); follow the steps 'push-relay certs trust' prints\n",
                run.err());
    }

    @Test
    void installingALeafShouldBeRefused() throws IOException {
        debian();
        Path server = TestPki.server(ca, root.resolve("tls"), "api.push.apple.com");
        Cli.Run run = Cli.run("trust", "--ca", server.toString(), "--root", system.toString(), "--install");
        assertEquals(1, run.code(), run::toString);
        assertEquals("ERROR: read " + server + ": not a CA certificate\n", run.err());
        assertEquals(List.of(), calls());
    }

    @Test
    void dryRunWithoutInstallShouldBeAUsageError() {
        Cli.Run run = trust("--dry-run");
        assertEquals(2, run.code(), run::toString);
        assertTrue(run.err().contains("--dry-run goes with --install or --uninstall"), run::toString);
    }
}
