package io.pushrelay.core.scripts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.testing.ExternalProcess;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/install.sh, run as a subprocess. It installs from a source tree: here a copy of this
 * checkout's scripts and pom beside prebuilt module jars (at relay-core's test phase relay-pre and
 * relay-post are not built yet, and the test must not start a nested Maven build), whose
 * libraries are real jars from the local Maven repository, some shared between modules.
 */
class InstallScriptTest {
    private static final List<String> MODULES = List.of("certs", "relay-core", "relay-pre", "relay-post");

    @TempDir
    Path tmp;
    Path src;
    Path prefix;
    Path configDir;
    String pomVersion;

    @BeforeEach
    void makeSourceTree() throws Exception {
        Path repo = RepoRoot.find();
        src = tmp.resolve("src");
        Files.createDirectories(src.resolve("scripts/systemd"));
        Files.copy(repo.resolve("pom.xml"), src.resolve("pom.xml"));
        // Older than the jars, so the tree counts as built.
        Files.setLastModifiedTime(src.resolve("pom.xml"), FileTime.fromMillis(1_000_000_000L));
        for (String s : List.of("push-relay", "install.sh", "hosts-redirect.sh", "pre.example.yaml", "post.example.yaml",
                "systemd/push-relay-pre.service", "systemd/push-relay-post.service")) {
            Files.copy(repo.resolve("scripts").resolve(s), src.resolve("scripts").resolve(s), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Path picocli = jarOf("picocli.CommandLine");
        Path jackson = jarOf("com.fasterxml.jackson.core.JsonFactory");
        Path bcprov = jarOf("org.bouncycastle.jce.provider.BouncyCastleProvider");
        Path bcpkix = jarOf("org.bouncycastle.cert.X509CertificateHolder");
        Map<String, List<Path>> libs = Map.of(
                "certs", List.of(bcprov, bcpkix),
                "relay-core", List.of(bcprov, bcpkix, jackson, picocli),
                "relay-pre", List.of(bcprov, jackson, picocli),
                "relay-post", List.of(jackson, picocli));
        for (String m : MODULES) {
            Path lib = Files.createDirectories(src.resolve(m).resolve("target/lib"));
            moduleJar(src.resolve(m).resolve("target").resolve(m + ".jar"), m);
            for (Path l : libs.get(m)) {
                Files.copy(l, lib.resolve(l.getFileName()));
            }
        }
        prefix = tmp.resolve("prefix");
        configDir = tmp.resolve("conf");
        Matcher v = Pattern.compile("<version>([^<]+)</version>").matcher(Files.readString(repo.resolve("pom.xml")));
        assertTrue(v.find());
        pomVersion = v.group(1);
    }

    private static Path jarOf(String className) throws ClassNotFoundException, URISyntaxException {
        Path p = Path.of(Class.forName(className).getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(p.getFileName().toString().endsWith(".jar"), p.toString());
        return p;
    }

    private static void moduleJar(Path jar, String module) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_TITLE, module);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, mf)) {
            j.putNextEntry(new JarEntry("META-INF/push-relay-module"));
            j.write(module.getBytes(StandardCharsets.UTF_8));
            j.closeEntry();
        }
    }

    private ExternalProcess.Result install(String... args) {
        List<String> cmd = new ArrayList<>(List.of("bash", src.resolve("scripts/install.sh").toString(),
                "--prefix", prefix.toString(), "--config-dir", configDir.toString()));
        cmd.addAll(Arrays.asList(args));
        return ExternalProcess.run(Duration.ofSeconds(60), Map.of(), cmd);
    }

    private static void assertExit(int code, ExternalProcess.Result r) {
        assertEquals(code, r.exitCode(), r.output());
    }

    /** Every file under {@code dir}: relative path -> mode and content. */
    private static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.toList()) {
                String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
                out.put(dir.relativize(p).toString(), mode + (Files.isRegularFile(p)
                        ? " " + Arrays.hashCode(Files.readAllBytes(p)) + " " + Files.size(p) : " dir"));
            }
        }
        return out;
    }

    private TreeSet<String> expectedJars() throws IOException {
        TreeSet<String> names = new TreeSet<>();
        for (String m : MODULES) {
            names.add(m + ".jar");
            try (Stream<Path> s = Files.list(src.resolve(m).resolve("target/lib"))) {
                s.forEach(p -> names.add(p.getFileName().toString()));
            }
        }
        return names;
    }

    @Test
    void installShouldLayOutThePrefixAndTheConfigs() throws Exception {
        ExternalProcess.Result r = install("--no-systemd");
        assertExit(0, r);

        TreeSet<String> lib = new TreeSet<>();
        try (Stream<Path> s = Files.list(prefix.resolve("lib"))) {
            s.forEach(p -> lib.add(p.getFileName().toString()));
        }
        assertEquals(expectedJars(), lib, "every module jar and library, once");
        assertEquals(8, lib.size());
        assertArrayEquals(Files.readAllBytes(jarOf("picocli.CommandLine")),
                Files.readAllBytes(prefix.resolve("lib").resolve(jarOf("picocli.CommandLine").getFileName())));
        assertArrayEquals(Files.readAllBytes(src.resolve("scripts/push-relay")), Files.readAllBytes(prefix.resolve("bin/push-relay")));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(prefix.resolve("bin/push-relay"))));
        assertTrue(Files.isExecutable(prefix.resolve("bin/hosts-redirect.sh")));
        assertEquals(pomVersion + "\n", Files.readString(prefix.resolve("VERSION")), "no git checkout here: the pom's version");
        for (String role : List.of("pre", "post")) {
            Path cfg = configDir.resolve(role + ".yaml");
            assertArrayEquals(Files.readAllBytes(src.resolve("scripts/" + role + ".example.yaml")), Files.readAllBytes(cfg));
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(cfg)));
            assertTrue(Files.isRegularFile(prefix.resolve("share/examples/" + role + ".example.yaml")));
        }
        assertEquals("rwxr-x---", PosixFilePermissions.toString(Files.getPosixFilePermissions(configDir)));
        assertFalse(Files.exists(prefix.resolve("pom.xml")), "the launcher tells an installed tree by its missing pom");
        assertTrue(r.output().contains("Next steps:"), r.output());
        assertTrue(r.output().contains(prefix + "/bin/push-relay pre --config " + configDir + "/pre.yaml"), r.output());
        assertFalse(r.output().contains("systemctl"), "--no-systemd: no units to enable");
    }

    @Test
    void installingAgainShouldChangeNothingAndKeepEditedConfigs() throws Exception {
        assertExit(0, install("--no-systemd"));
        Path pre = configDir.resolve("pre.yaml");
        Files.writeString(pre, "# mine\npassthrough: true\n");
        Map<String, String> before = snapshot(prefix);
        before.putAll(snapshot(configDir));

        ExternalProcess.Result again = install("--no-systemd");
        assertExit(0, again);
        Map<String, String> after = snapshot(prefix);
        after.putAll(snapshot(configDir));
        assertEquals(before, after);
        assertTrue(again.output().contains("lib: up to date (8 jars)"), again.output());
        assertTrue(again.output().contains("kept " + pre), again.output());
        assertFalse(again.output().contains("installed"), again.output());
        assertEquals("# mine\npassthrough: true\n", Files.readString(pre));
    }

    @Test
    void anUpgradeShouldReplaceTheLibrariesAsAWhole() throws Exception {
        assertExit(0, install("--no-systemd"));
        Path gone = src.resolve("relay-post/target/lib").resolve(jarOf("picocli.CommandLine").getFileName());
        Files.delete(gone);
        Files.delete(src.resolve("relay-core/target/lib").resolve(gone.getFileName()));
        Files.delete(src.resolve("relay-pre/target/lib").resolve(gone.getFileName()));
        Path added = jarOf("org.junit.jupiter.api.Test");
        Files.copy(added, src.resolve("relay-post/target/lib").resolve(added.getFileName()));
        moduleJar(src.resolve("relay-pre/target/relay-pre.jar"), "relay-pre, rebuilt");

        ExternalProcess.Result r = install("--no-systemd");
        assertExit(0, r);
        TreeSet<String> lib = new TreeSet<>();
        try (Stream<Path> s = Files.list(prefix.resolve("lib"))) {
            s.forEach(p -> lib.add(p.getFileName().toString()));
        }
        assertEquals(expectedJars(), lib, "the stale library is gone, the new one is there");
        assertFalse(lib.contains(gone.getFileName().toString()));
        assertArrayEquals(Files.readAllBytes(src.resolve("relay-pre/target/relay-pre.jar")),
                Files.readAllBytes(prefix.resolve("lib/relay-pre.jar")));
        try (Stream<Path> s = Files.list(prefix)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith(".lib")).toList(), "no staging left");
        }
    }

    @Test
    void twoDifferentJarsOfOneNameShouldStopTheInstall() throws Exception {
        Path clash = src.resolve("relay-pre/target/lib").resolve(jarOf("com.fasterxml.jackson.core.JsonFactory").getFileName());
        Files.write(clash, new byte[] {'P', 'K', 5, 6}, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
        ExternalProcess.Result r = install("--no-systemd");
        assertExit(1, r);
        assertTrue(r.output().contains("ERROR: install.sh: two different " + clash.getFileName()), r.output());
        assertFalse(Files.exists(prefix.resolve("lib")));
    }

    @Test
    void theInstalledLauncherShouldRunFromItsPrefix() throws Exception {
        assertExit(0, install("--no-systemd", "--role", "pre"));
        assertFalse(Files.exists(configDir.resolve("post.yaml")), "--role pre: only pre's config");
        Path launcher = prefix.resolve("bin/push-relay");

        ExternalProcess.Result version = ExternalProcess.run(Duration.ofSeconds(10), Map.of(), List.of(launcher.toString(), "--version"));
        assertExit(0, version);
        assertEquals("push-relay " + pomVersion + "\n", version.output());
        ExternalProcess.Result help = ExternalProcess.run(Duration.ofSeconds(10), Map.of(), List.of(launcher.toString(), "--help"));
        assertExit(0, help);
        assertTrue(help.output().startsWith("Usage: push-relay <command> [options]"), help.output());

        // Into the JVM: the installed launcher puts PREFIX/lib/* on the class path (the JVM expands
        // it) and names its home. The module jars here are stand-ins, so the role's main class is
        // not in them: the JVM's own error names the class the launcher chose.
        ExternalProcess.Result jvm = ExternalProcess.run(Duration.ofSeconds(30),
                Map.of("PUSH_RELAY_JAVA_OPTS", "-XshowSettings:properties"), List.of(launcher.toString(), "pre", "--help"));
        assertTrue(jvm.output().contains("push-relay.home = " + prefix + "\n"), jvm.output());
        assertTrue(jvm.output().contains("push-relay.version = push-relay " + pomVersion + "\n"), jvm.output());
        for (String jar : expectedJars()) {
            assertTrue(jvm.output().contains(prefix.resolve("lib").resolve(jar).toString()), jar + " on the class path:\n" + jvm.output());
        }
        assertFalse(jvm.output().contains(src.toString()), "nothing from the source tree");
        assertTrue(jvm.output().contains("Could not find or load main class io.pushrelay.pre.PreCommand"), jvm.output());

        // Relocatable: the launcher finds its home from its own path.
        Path moved = tmp.resolve("elsewhere");
        assertExit(0, ExternalProcess.run(Duration.ofSeconds(10), Map.of(), List.of("cp", "-a", prefix.toString(), moved.toString())));
        ExternalProcess.Result movedJvm = ExternalProcess.run(Duration.ofSeconds(30),
                Map.of("PUSH_RELAY_JAVA_OPTS", "-XshowSettings:properties"), List.of(moved.resolve("bin/push-relay").toString(), "pre"));
        assertTrue(movedJvm.output().contains("push-relay.home = " + moved + "\n"), movedJvm.output());
    }

    @Test
    void unitsShouldNameTheChosenPathsAndPassSystemdAnalyzeVerify() throws Exception {
        Path unitDir = tmp.resolve("units");
        ExternalProcess.Result r = install("--unit-dir", unitDir.toString(), "--no-user");
        assertExit(0, r);
        assertTrue(r.output().contains("systemctl daemon-reload; systemctl enable --now push-relay-pre push-relay-post"), r.output());
        for (String role : List.of("pre", "post")) {
            Path unit = unitDir.resolve("push-relay-" + role + ".service");
            String text = Files.readString(unit);
            assertTrue(text.contains("\nExecStart=" + prefix + "/bin/push-relay " + role + " --config " + configDir + "/" + role + ".yaml\n"),
                    text);
            assertTrue(text.contains("\nReadOnlyPaths=" + configDir + "\n"), text);
            assertFalse(text.contains("/opt/push-relay") || text.contains("/etc/push-relay"), "every default path replaced");
            String original = Files.readString(src.resolve("scripts/systemd/push-relay-" + role + ".service"));
            assertEquals(original.replace("/opt/push-relay", prefix.toString()).replace("/etc/push-relay", configDir.toString()), text);
            // The installed unit names a launcher that exists, so it verifies against the real system.
            ExternalProcess.Result verify = ExternalProcess.run(Duration.ofSeconds(30), Map.of(),
                    List.of("systemd-analyze", "verify", "--man=no", unit.toString()));
            assertExit(0, verify);
            assertEquals("", verify.output(), "no warning either");
        }
        ExternalProcess.Result again = install("--unit-dir", unitDir.toString(), "--no-user");
        assertExit(0, again);
        assertFalse(again.output().contains("installed"), again.output());
    }

    @Test
    void aDryRunShouldChangeNothing() throws Exception {
        Files.delete(src.resolve("relay-post/target/relay-post.jar"));
        Path unitDir = tmp.resolve("units");
        ExternalProcess.Result r = install("--dry-run", "--unit-dir", unitDir.toString());
        assertExit(0, r);
        assertTrue(r.output().contains("would run: (cd " + src + " && mvn -q -B -DskipTests package)"), "a jar is missing:\n" + r.output());
        assertTrue(r.output().contains("would write " + unitDir + "/push-relay-pre.service"), r.output());
        assertTrue(r.output().contains("useradd") || ExternalProcess.run(Duration.ofSeconds(5), Map.of(),
                List.of("id", "push-relay")).exitCode() == 0, "the user would be created unless it exists:\n" + r.output());
        assertTrue(r.output().contains("(dry run: nothing was changed)"), r.output());
        assertFalse(Files.exists(prefix));
        assertFalse(Files.exists(configDir));
        assertFalse(Files.exists(unitDir));
    }

    @Test
    void theRealCheckoutsInstallerShouldDryRun() throws Exception {
        Path repo = RepoRoot.find();
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(30), Map.of(), List.of("bash",
                repo.resolve("scripts/install.sh").toString(), "--dry-run", "--prefix", prefix.toString(),
                "--config-dir", configDir.toString(), "--unit-dir", tmp.resolve("units").toString(), "--role", "post"));
        assertExit(0, r);
        assertTrue(r.output().contains("would run: install -m 0640 " + repo + "/scripts/post.example.yaml " + configDir + "/post.yaml"),
                r.output());
        assertFalse(r.output().contains("pre.yaml"), r.output());
        assertFalse(Files.exists(prefix));
    }

    @Test
    void badArgumentsShouldExitWithTwo() {
        assertExit(2, install("--role", "middle"));
        assertExit(2, install("--frobnicate"));
        assertExit(2, install("--prefix"));
        ExternalProcess.Result spaces = ExternalProcess.run(Duration.ofSeconds(10), Map.of(), List.of("bash",
                src.resolve("scripts/install.sh").toString(), "--prefix", "/opt/push relay"));
        assertExit(2, spaces);
        assertExit(2, ExternalProcess.run(Duration.ofSeconds(10), Map.of(), List.of("bash",
                src.resolve("scripts/install.sh").toString(), "--prefix", "relative/dir")));
        ExternalProcess.Result help = ExternalProcess.run(Duration.ofSeconds(10), Map.of(), List.of("bash",
                src.resolve("scripts/install.sh").toString(), "--help"));
        assertExit(0, help);
        assertTrue(help.output().startsWith("Usage: install.sh [--prefix DIR]"), help.output());
    }
}
