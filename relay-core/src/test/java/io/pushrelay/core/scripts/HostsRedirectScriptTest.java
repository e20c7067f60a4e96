package io.pushrelay.core.scripts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.testing.ExternalProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/hosts-redirect.sh, run as a subprocess on temporary hosts files (and once on a namespace's /etc/hosts). */
class HostsRedirectScriptTest {
    private static final Path SCRIPT = RepoRoot.script("hosts-redirect.sh");
    private static final String ORIGINAL = "127.0.0.1\tlocalhost\n"
            + "::1     localhost ip6-localhost ip6-loopback   \n"
            + "# The following lines are desirable for IPv6 capable hosts\n"
            + "\n"
            + "10.9.9.9 intranet.corp.example intranet # keep me\n"
            + "ff02::1 ip6-allnodes\n";
    private static final String APNS_BLOCK = "# BEGIN push-relay (managed by hosts-redirect.sh; edits inside this block are replaced)\n"
            + "10.0.0.5 api.push.apple.com\n"
            + "10.0.0.5 api.sandbox.push.apple.com\n"
            + "10.0.0.5 api.development.push.apple.com\n"
            + "# END push-relay\n";

    @TempDir
    Path dir;

    private ExternalProcess.Result run(Path hosts, String... args) {
        List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString(), "--file", hosts.toString()));
        cmd.addAll(Arrays.asList(args));
        return ExternalProcess.run(Duration.ofSeconds(30), Map.of(), cmd);
    }

    private Path hosts(String content) throws IOException {
        Path f = dir.resolve("hosts");
        Files.writeString(f, content, StandardCharsets.UTF_8);
        return f;
    }

    private List<Path> backups() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("hosts.push-relay.bak.")).sorted().toList();
        }
    }

    private static void assertExit(int code, ExternalProcess.Result r) {
        assertEquals(code, r.exitCode(), r.output());
    }

    @Test
    void addShouldAppendOneBlockAndRemoveShouldRestoreEveryByte() throws Exception {
        Path f = hosts(ORIGINAL);
        ExternalProcess.Result r = run(f, "add", "10.0.0.5");
        assertExit(0, r);
        assertTrue(r.output().contains("api.push.apple.com api.sandbox.push.apple.com api.development.push.apple.com -> 10.0.0.5"),
                r.output());
        assertEquals(ORIGINAL + APNS_BLOCK, Files.readString(f));

        assertExit(0, run(f, "remove"));
        assertArrayEquals(ORIGINAL.getBytes(StandardCharsets.UTF_8), Files.readAllBytes(f));
    }

    @Test
    void addTwiceShouldLeaveTheSameFileAndWriteNoBackup() throws Exception {
        Path f = hosts(ORIGINAL);
        assertExit(0, run(f, "add", "10.0.0.5"));
        byte[] once = Files.readAllBytes(f);
        Object inode = Files.getAttribute(f, "unix:ino");
        ExternalProcess.Result again = run(f, "add", "10.0.0.5");
        assertExit(0, again);
        assertTrue(again.output().contains("already in effect"), again.output());
        assertArrayEquals(once, Files.readAllBytes(f));
        assertEquals(inode, Files.getAttribute(f, "unix:ino"), "not rewritten");
        assertEquals(1, backups().size());
    }

    @Test
    void replacingTheBlockShouldTouchNoLineAroundIt() throws Exception {
        String after = "# added by someone later\n192.0.2.1 printer.corp.example\n";
        Path f = hosts(ORIGINAL + APNS_BLOCK + after);
        ExternalProcess.Result r = run(f, "--fcm", "add", "fd00::5");
        assertExit(0, r);
        assertEquals(ORIGINAL
                + "# BEGIN push-relay (managed by hosts-redirect.sh; edits inside this block are replaced)\n"
                + "fd00::5 api.push.apple.com\n"
                + "fd00::5 api.sandbox.push.apple.com\n"
                + "fd00::5 api.development.push.apple.com\n"
                + "fd00::5 fcm.googleapis.com\n"
                + "fd00::5 oauth2.googleapis.com\n"
                + "# END push-relay\n"
                + after, Files.readString(f));
        assertExit(0, run(f, "remove", "fd00::5"));
        assertEquals(ORIGINAL + after, Files.readString(f));
    }

    @Test
    void concurrentChangesShouldLeaveOneWholeBlock() throws Exception {
        Path f = hosts(ORIGINAL);
        // Without the lock, about half of such runs ended with two blocks (both read "no block").
        // Sixteen, so some start after the first change replaced the file: with a lock on the
        // replaced file alone, a late one and a waiter ran at once (one in fifteen runs in CI).
        List<ExternalProcess> running = new ArrayList<>();
        try {
            for (int i = 1; i <= 16; i++) {
                running.add(ExternalProcess.start("hosts-redirect " + i, dir.resolve("run" + i + ".log"), Map.of(),
                        List.of("bash", SCRIPT.toString(), "--file", f.toString(), "add", "10.0.0." + i)));
            }
            for (ExternalProcess p : running) {
                assertTrue(p.process().waitFor(30, java.util.concurrent.TimeUnit.SECONDS), p.output());
                assertEquals(0, p.process().exitValue(), p.output());
            }
        } finally {
            running.forEach(ExternalProcess::close);
        }
        String result = Files.readString(f);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("10\\.0\\.0\\.(\\d+) api\\.push\\.apple\\.com").matcher(result);
        assertTrue(m.find(), result);
        assertEquals(ORIGINAL + APNS_BLOCK.replace("10.0.0.5", "10.0.0." + m.group(1)), result);
        for (Path b : backups()) {
            String text = Files.readString(b);
            assertTrue(text.equals(ORIGINAL) || text.matches("(?s)\\Q" + ORIGINAL + "\\E# BEGIN push-relay[^#]*# END push-relay\n"), text);
        }
    }

    @Test
    void aLastLineWithoutNewlineShouldGetOneAndNothingElse() throws Exception {
        String noNewline = "127.0.0.1 localhost\r\n10.1.1.1 crlf-host\r\n192.0.2.9 last";
        Path f = hosts(noNewline);
        assertExit(0, run(f, "add", "10.0.0.5", "API.Push.Apple.com", "api.push.apple.com"));
        assertEquals(noNewline + "\n# BEGIN push-relay (managed by hosts-redirect.sh; edits inside this block are replaced)\n"
                + "10.0.0.5 api.push.apple.com\n# END push-relay\n", Files.readString(f), "names lower-cased, once each");
    }

    @Test
    void eachChangeShouldKeepABackupOfWhatWasThere() throws Exception {
        Path f = hosts(ORIGINAL);
        assertExit(0, run(f, "add", "10.0.0.5"));
        assertExit(0, run(f, "add", "10.0.0.6"));
        assertExit(0, run(f, "remove"));
        List<Path> backups = backups();
        assertEquals(3, backups.size(), backups.toString());
        assertEquals(ORIGINAL, Files.readString(backups.get(0)));
        assertEquals(ORIGINAL + APNS_BLOCK, Files.readString(backups.get(1)));
        assertEquals(ORIGINAL + APNS_BLOCK.replace("10.0.0.5", "10.0.0.6"), Files.readString(backups.get(2)));
        assertExit(0, run(f, "remove"));
        assertEquals(3, backups().size(), "nothing to remove, nothing backed up");
    }

    @Test
    void theFileShouldBeReplacedAtomicallyKeepingModeAndOwner() throws Exception {
        Path f = hosts(ORIGINAL);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
        Files.setAttribute(f, "unix:uid", 4321);
        Files.setAttribute(f, "unix:gid", 4322);
        Object inode = Files.getAttribute(f, "unix:ino");
        assertExit(0, run(f, "add", "10.0.0.5"));
        assertNotEquals(inode, Files.getAttribute(f, "unix:ino"), "a new file moved into place, not rewritten in place");
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
        assertEquals(4321, Files.getAttribute(f, "unix:uid"));
        assertEquals(4322, Files.getAttribute(f, "unix:gid"));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith(".hosts")).toList(), "no temp file left");
        }
    }

    @Test
    void aSymlinkedHostsFileShouldBeEditedThroughTheLink() throws Exception {
        Path target = hosts(ORIGINAL);
        Path link = Files.createSymbolicLink(dir.resolve("hosts-link"), target);
        assertExit(0, run(link, "add", "10.0.0.5"));
        assertTrue(Files.isSymbolicLink(link));
        assertEquals(ORIGINAL + APNS_BLOCK, Files.readString(target));
    }

    @Test
    void aNameMappedOutsideTheBlockShouldBeRefusedNamingTheLine() throws Exception {
        String content = ORIGINAL + "17.1.2.3   API.sandbox.push.apple.com   # pinned by hand\n";
        Path f = hosts(content);
        ExternalProcess.Result r = run(f, "add", "10.0.0.5");
        assertExit(1, r);
        assertTrue(r.output().contains("api.sandbox.push.apple.com is already mapped at " + f + ":7: "
                + "17.1.2.3   API.sandbox.push.apple.com   # pinned by hand"), r.output());
        assertEquals(content, Files.readString(f));
        assertEquals(List.of(), backups());
        assertExit(0, run(f, "add", "10.0.0.5", "api.push.apple.com"));
        String commentedOut = ORIGINAL + "# 17.1.2.3 api.sandbox.push.apple.com\n";
        assertExit(0, run(hosts(commentedOut), "add", "10.0.0.5"));
    }

    @Test
    void addressesAndNamesShouldBeValidated() throws Exception {
        Path f = hosts(ORIGINAL);
        for (String bad : List.of("10.0.0.256", "10.0.0", "10.0.0.5.6", "1:2:3:4:5:6:7:8:9", "1::2::3", "fe80::1%eth0", "12345::1",
                "relay.corp", "0.0.0.0", "::", "-5")) {
            ExternalProcess.Result r = run(f, "add", bad);
            assertExit(2, r);
        }
        assertTrue(run(f, "add", "10.0.0.256").output().contains("'10.0.0.256' is not an IPv4 or IPv6 address"));
        assertExit(2, run(f, "add", "10.0.0.5", "bad_name"));
        assertExit(2, run(f, "add", "10.0.0.5", "-x.example"));
        assertExit(2, run(f, "add"));
        assertEquals(ORIGINAL, Files.readString(f));
        for (String good : List.of("192.168.1.1", "fd00::5", "::1", "::ffff:10.0.0.5", "2001:db8:0:0:0:0:0:1", "1:2:3:4:5:6:1.2.3.4")) {
            assertExit(0, run(f, "add", good));
            assertTrue(Files.readString(f).contains(good + " api.push.apple.com\n"), good);
        }
    }

    @Test
    void statusShouldSayWhereEachNamePointsAndWhetherTheBlockIsInEffect() throws Exception {
        Path f = hosts(ORIGINAL);
        ExternalProcess.Result none = run(f, "status");
        assertExit(1, none);
        assertTrue(none.output().contains("no push-relay block"), none.output());
        assertTrue(none.output().contains("not in effect"), none.output());

        assertExit(0, run(f, "add", "10.0.0.5"));
        ExternalProcess.Result ok = run(f, "status");
        assertExit(0, ok);
        assertTrue(ok.output().matches("(?s).*api\\.sandbox\\.push\\.apple\\.com +10\\.0\\.0\\.5 +\\(block, line 9\\).*"), ok.output());
        assertTrue(ok.output().endsWith("in effect\n"), ok.output());
        assertExit(0, run(f, "status", "10.0.0.5"));
        assertExit(0, run(f, "status", "10.0.0.5", "api.push.apple.com"));
        assertExit(1, run(f, "status", "10.0.0.6"));
        ExternalProcess.Result fcm = run(f, "--fcm", "status");
        assertExit(1, fcm);
        assertTrue(fcm.output().contains("fcm.googleapis.com"), fcm.output());

        // A line above the block wins in the resolver's "files" lookup: the block is not in effect.
        Files.writeString(f, "17.1.2.3 api.push.apple.com\n" + Files.readString(f));
        ExternalProcess.Result shadowed = run(f, "status", "10.0.0.5");
        assertExit(1, shadowed);
        assertTrue(shadowed.output().matches("(?s).*api\\.push\\.apple\\.com +17\\.1\\.2\\.3 +\\(line 1, outside the block\\).*"),
                shadowed.output());
    }

    @Test
    void aBrokenBlockShouldBeLeftForAHuman() throws Exception {
        String broken = ORIGINAL + "# BEGIN push-relay\n10.0.0.5 api.push.apple.com\n";
        Path f = hosts(broken);
        ExternalProcess.Result r = run(f, "add", "10.0.0.6");
        assertExit(1, r);
        assertTrue(r.output().contains("'# BEGIN push-relay' at line 7 has no '# END push-relay'"), r.output());
        assertExit(1, run(f, "remove"));
        assertEquals(broken, Files.readString(f));
    }

    @Test
    void helpAndUsageErrorsShouldFollowTheExitCodes() throws Exception {
        ExternalProcess.Result help = ExternalProcess.run(Duration.ofSeconds(10), Map.of(), List.of("bash", SCRIPT.toString(), "--help"));
        assertExit(0, help);
        assertTrue(help.output().startsWith("Usage: hosts-redirect.sh [--file FILE] [--fcm] add RELAY_IP [NAME...]"), help.output());
        assertTrue(help.output().contains("Examples:"));
        Path f = hosts(ORIGINAL);
        assertExit(2, run(f, "frobnicate"));
        assertExit(2, run(f, "--bogus", "status"));
        assertExit(2, ExternalProcess.run(Duration.ofSeconds(10), Map.of(), List.of("bash", SCRIPT.toString())));
        assertExit(1, run(dir.resolve("absent"), "status"));
        assertExit(2, run(f, "remove", "10.0.0.5", "extra"));
    }

    /**
     * The real thing: /etc/hosts of a network namespace, which `ip netns exec` bind-mounts over
     * /etc/hosts. mv onto a mount point fails with EBUSY, so the script must rewrite it in place;
     * the resolver (getent) must then answer with the relay's address.
     */
    @Test
    void theRealEtcHostsShouldWorkWhenItIsABindMount() throws Exception {
        String ns = "pr-hosts-" + ProcessHandle.current().pid() + "-" + ThreadLocalRandom.current().nextInt(1000, 9999);
        Path etc = Path.of("/etc/netns", ns);
        byte[] realHosts = Files.readAllBytes(Path.of("/etc/hosts"));
        List<Path> backupsBefore = etcBackups();
        String content = "127.0.0.1 localhost\n::1 localhost\n";
        try {
            mustRun(List.of("ip", "netns", "add", ns));
            Files.createDirectories(etc);
            Files.writeString(etc.resolve("hosts"), content);
            List<String> inside = List.of("ip", "netns", "exec", ns, "bash", SCRIPT.toString());

            ExternalProcess.Result add = ExternalProcess.run(Duration.ofSeconds(30), Map.of(), concat(inside, "add", "127.0.0.2"));
            assertExit(0, add);
            assertTrue(add.output().contains("note: /etc/hosts is a mount point (container?); rewrote it in place"), add.output());
            assertEquals(content + APNS_BLOCK.replace("10.0.0.5", "127.0.0.2"), Files.readString(etc.resolve("hosts")));

            ExternalProcess.Result resolved = ExternalProcess.run(Duration.ofSeconds(10), Map.of(),
                    List.of("ip", "netns", "exec", ns, "getent", "hosts", "api.sandbox.push.apple.com"));
            assertExit(0, resolved);
            assertTrue(resolved.output().startsWith("127.0.0.2 "), resolved.output());

            ExternalProcess.Result status = ExternalProcess.run(Duration.ofSeconds(30), Map.of(), concat(inside, "status", "127.0.0.2"));
            assertExit(0, status);
            assertFalse(status.output().contains("resolver answers"), status.output());

            assertExit(0, ExternalProcess.run(Duration.ofSeconds(30), Map.of(), concat(inside, "remove")));
            assertEquals(content, Files.readString(etc.resolve("hosts")));
        } finally {
            ExternalProcess.run(Duration.ofSeconds(10), Map.of(), List.of("ip", "netns", "delete", ns));
            if (Files.exists(etc.resolve("hosts"))) {
                Files.delete(etc.resolve("hosts"));
            }
            Files.deleteIfExists(etc);
            for (Path p : etcBackups()) {
                if (!backupsBefore.contains(p)) {
                    Files.delete(p);
                }
            }
        }
        assertArrayEquals(realHosts, Files.readAllBytes(Path.of("/etc/hosts")), "the machine's own /etc/hosts is untouched");
        try (Stream<Path> s = Files.list(Path.of("/etc"))) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith(".hosts.push-relay")).toList());
        }
    }

    private static List<Path> etcBackups() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/etc"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("hosts.push-relay.bak.")
                    && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).toList();
        }
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> out = new ArrayList<>(head);
        out.addAll(Arrays.asList(tail));
        return out;
    }

    private static void mustRun(List<String> cmd) {
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(10), Map.of(), cmd);
        if (r.exitCode() != 0) {
            throw new IllegalStateException(cmd + " failed (" + r.exitCode() + "): " + r.output());
        }
    }
}
