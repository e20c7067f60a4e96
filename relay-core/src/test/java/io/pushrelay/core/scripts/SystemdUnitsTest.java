package io.pushrelay.core.scripts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.config.PostConfig;
import io.pushrelay.core.config.PreConfig;
import io.pushrelay.core.config.Durations;
import io.pushrelay.core.testing.ExternalProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/systemd/*.service, checked by systemd's own analyzer. No systemd runs in this
 * container, so `systemd-analyze verify --root=DIR` loads the units from a scratch root holding
 * a copy of the system's unit folder (for the targets they name), the launcher at
 * /opt/push-relay/bin/push-relay and /bin/kill (verify checks that ExecStart= and ExecReload=
 * are executables). Verify reports unknown or malformed directives as warnings with exit 0, so
 * the tests also demand silence.
 */
class SystemdUnitsTest {
    private static final List<String> ROLES = List.of("pre", "post");

    @TempDir
    Path root;

    @BeforeEach
    void makeRoot() throws IOException {
        Path units = Files.createDirectories(root.resolve("usr/lib/systemd/system"));
        try (Stream<Path> s = Files.list(Path.of("/usr/lib/systemd/system"))) {
            for (Path p : s.toList()) {
                if (Files.isSymbolicLink(p)) {
                    Files.createSymbolicLink(units.resolve(p.getFileName()), Files.readSymbolicLink(p));
                } else if (Files.isRegularFile(p)) {
                    Files.copy(p, units.resolve(p.getFileName()));
                }
            }
        }
        Path bin = Files.createDirectories(root.resolve("opt/push-relay/bin"));
        Files.copy(RepoRoot.script("push-relay"), bin.resolve("push-relay"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.createDirectories(root.resolve("bin"));
        Files.copy(Path.of("/bin/kill"), root.resolve("bin/kill"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.createDirectories(root.resolve("etc/systemd/system"));
    }

    private Path place(String name, String text) throws IOException {
        Path unit = root.resolve("etc/systemd/system").resolve(name);
        Files.writeString(unit, text);
        return unit;
    }

    private static String unitText(String role) throws IOException {
        return Files.readString(RepoRoot.script("systemd/push-relay-" + role + ".service"));
    }

    private ExternalProcess.Result analyze(String... args) {
        List<String> cmd = new ArrayList<>(List.of("systemd-analyze"));
        cmd.addAll(List.of(args));
        return ExternalProcess.run(Duration.ofSeconds(60), Map.of(), cmd);
    }

    @Test
    void bothUnitsShouldVerifyWithoutAWord() throws Exception {
        for (String role : ROLES) {
            place("push-relay-" + role + ".service", unitText(role));
        }
        ExternalProcess.Result r = analyze("verify", "--man=no", "--root=" + root, "push-relay-pre.service", "push-relay-post.service");
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("", r.output());
    }

    @Test
    void verifyShouldCatchWhatTheseTestsRelyOn() throws Exception {
        // The check above is only worth something if these are caught: a misspelt directive, a
        // bad value, and a missing executable.
        String broken = unitText("pre")
                .replace("ProtectKernelTunables=yes", "ProtectKernelTunable=yes")
                .replace("RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "RestrictAddressFamilies=AF_INET AF_BOGUS");
        place("push-relay-pre.service", broken);
        ExternalProcess.Result warned = analyze("verify", "--man=no", "--root=" + root, "push-relay-pre.service");
        assertTrue(warned.output().contains("Unknown key 'ProtectKernelTunable'"), warned.output());
        assertTrue(warned.output().contains("AF_BOGUS"), warned.output());

        place("push-relay-pre.service", unitText("pre"));
        Files.delete(root.resolve("opt/push-relay/bin/push-relay"));
        ExternalProcess.Result missing = analyze("verify", "--man=no", "--root=" + root, "push-relay-pre.service");
        assertEquals(1, missing.exitCode(), missing.output());
        assertTrue(missing.output().contains("/opt/push-relay/bin/push-relay is not executable"), missing.output());
    }

    @Test
    void theHardeningShouldScoreOkOffline() throws Exception {
        for (String role : ROLES) {
            place("push-relay-" + role + ".service", unitText(role));
            // Exposure is 0-10; systemd calls up to 3.9 "OK". --threshold counts tenths.
            ExternalProcess.Result r = analyze("security", "--offline=true", "--threshold=30", "--root=" + root,
                    "push-relay-" + role + ".service");
            assertEquals(0, r.exitCode(), r.output());
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("Overall exposure level for push-relay-" + role
                    + "\\.service: (\\d+\\.\\d) OK").matcher(r.output());
            assertTrue(m.find(), r.output());
            assertTrue(Double.parseDouble(m.group(1)) <= 3.0, r.output());
        }
    }

    @Test
    void theUnitsShouldCarryTheDirectivesTheRelayNeeds() throws Exception {
        for (String role : ROLES) {
            Map<String, List<String>> d = directives(unitText(role));
            assertEquals(List.of("/opt/push-relay/bin/push-relay " + role + " --config /etc/push-relay/" + role + ".yaml"),
                    d.get("ExecStart"));
            assertEquals(List.of("/bin/kill -HUP $MAINPID"), d.get("ExecReload"));
            assertEquals(List.of("SIGTERM"), d.get("KillSignal"));
            assertEquals(List.of("on-failure"), d.get("Restart"));
            assertEquals(List.of("65536"), d.get("LimitNOFILE"));
            assertEquals(List.of("push-relay"), d.get("User"));
            assertFalse(d.containsKey("DynamicUser"));
            assertEquals(List.of("CAP_NET_BIND_SERVICE"), d.get("AmbientCapabilities"));
            assertEquals(List.of("CAP_NET_BIND_SERVICE"), d.get("CapabilityBoundingSet"));
            assertEquals(List.of("/etc/push-relay"), d.get("ReadOnlyPaths"));
            assertEquals(List.of("AF_INET AF_INET6 AF_UNIX"), d.get("RestrictAddressFamilies"));
            assertEquals(List.of("no"), d.get("MemoryDenyWriteExecute"), "the JIT needs writable+executable memory");
            for (String yes : List.of("NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables",
                    "ProtectKernelModules", "ProtectControlGroups", "LockPersonality")) {
                assertEquals(List.of("yes"), d.get(yes), yes);
            }
            assertEquals(List.of("strict"), d.get("ProtectSystem"));
            Duration stop = Durations.parse(d.get("TimeoutStopSec").get(0));
            Duration drain = role.equals("pre") ? PreConfig.DEFAULT_DRAIN_TIMEOUT : PostConfig.DEFAULT_DRAIN_TIMEOUT;
            assertTrue(stop.compareTo(drain.plusSeconds(10)) >= 0, "TimeoutStopSec " + stop + " leaves the JVM time after draining " + drain);
            assertEquals(List.of("2"), d.get("RestartPreventExitStatus"), "a config error (exit 2) is not retried");
        }
    }

    /** Directive -> values, [Service] and the rest alike; comments and blank lines skipped. */
    private static Map<String, List<String>> directives(String unit) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String line : unit.split("\n")) {
            if (line.isBlank() || line.startsWith("#") || line.startsWith("[")) {
                continue;
            }
            int eq = line.indexOf('=');
            out.computeIfAbsent(line.substring(0, eq), k -> new ArrayList<>()).add(line.substring(eq + 1));
        }
        return out;
    }
}
