package io.pushrelay.certs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar as the launcher runs it: {@code java -cp certs.jar:lib/* CertsCommand ...}
 * in a subprocess, so that exit codes, stdout/stderr and the manifest version are the real
 * ones. Tagged built-jar: surefire runs it after package (see the certs pom).
 */
@Tag("built-jar")
class BuiltJarTest {
    @TempDir
    static Path root;

    static String classPath;

    @BeforeAll
    static void jar() {
        Path jar = Path.of(System.getProperty("certs.jar", "target/missing.jar"));
        Path lib = Path.of(System.getProperty("certs.lib", "target/lib"));
        assertTrue(Files.isRegularFile(jar), () -> jar + " is missing: run mvn verify, which packages first");
        assertTrue(Files.isDirectory(lib), () -> lib + " is missing: run mvn verify, which packages first");
        classPath = jar + File.pathSeparator + lib + File.separator + "*";
    }

    private static Programs.Result certs(String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classPath, "io.pushrelay.certs.cli.CertsCommand"));
        command.addAll(List.of(args));
        return Programs.run(root, Map.of(), Duration.ofSeconds(30), command);
    }

    @Test
    void versionShouldComeFromTheJarManifest() {
        Programs.Result result = certs("--version");
        assertEquals(0, result.code(), result::toString);
        assertTrue(result.out().matches("push-relay certs \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\n"), result::toString);
    }

    @Test
    void jarShouldCreateACaAndIssueWithExitZero() {
        Programs.Result ca = certs("ca", "create", "--dir", "ca");
        assertEquals(0, ca.code(), ca::toString);
        assertTrue(ca.out().startsWith("Created CA CN=push-relay CA, O=push-relay (EC P-256)"), ca::toString);
        Programs.Result server = certs("server", "create", "--ca", "ca", "--out", "tls", "--host", "api.push.apple.com");
        assertEquals(0, server.code(), server::toString);
        Programs.Result verify = certs("verify", "--ca", "ca/ca.pem", "--host", "api.push.apple.com", "tls/server.pem");
        assertEquals(0, verify.code(), verify::toString);
        assertTrue(verify.out().startsWith("OK: tls/server.pem: "), verify::toString);
    }

    @Test
    void unknownKeyTypeShouldExit2WithOneErrorAndNoFiles() {
        Programs.Result result = certs("ca", "create", "--dir", "bad-ca", "--key-type", "dsa-1024");
        assertEquals(2, result.code(), result::toString);
        assertEquals("", result.out());
        assertEquals("ERROR: push-relay certs ca create: Invalid value for option '--key-type': unknown key type"
                + " 'dsa-1024' (use one of: ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096)\n"
                + "Try 'push-relay certs ca create --help'.\n", result.err());
        assertFalse(Files.exists(root.resolve("bad-ca")));
    }

    @Test
    void failureShouldExit1WithoutStackTraceUnlessVerbose() {
        Programs.Result quiet = certs("server", "create", "--ca", "no-ca", "--out", "x", "--host", "api.push.apple.com");
        assertEquals(1, quiet.code(), quiet::toString);
        assertEquals("ERROR: load CA no-ca: no such folder (create it with push-relay certs ca create --dir no-ca)\n",
                quiet.err());
        Programs.Result verbose = certs("server", "create", "-v", "--ca", "no-ca", "--out", "x", "--host", "api.push.apple.com");
        assertEquals(1, verbose.code(), verbose::toString);
        assertTrue(verbose.err().contains("\tat io.pushrelay.certs.cli.Issuance.run"), verbose::toString);
        assertFalse(Files.exists(root.resolve("x")));
    }

    @Test
    void helpShouldStartWithExamplesAndExit0() {
        Programs.Result result = certs("server", "create", "--help");
        assertEquals(0, result.code(), result::toString);
        assertTrue(result.out().startsWith("Examples:\n  push-relay certs server create --ca ca --out tls --host"),
                result::toString);
        assertTrue(result.out().contains("Usage: push-relay certs server create "), result::toString);
    }
}
