package io.pushrelay.certs.cli;

import io.pushrelay.certs.CertsException;
import io.pushrelay.certs.FileSet;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The host's system trust store, found under a root folder ({@code /}, or a fake root in
 * tests): the Debian family (update-ca-certificates, {@code /usr/local/share/ca-certificates},
 * files must end in {@code .crt}) or the RHEL family (update-ca-trust,
 * {@code /etc/pki/ca-trust/source/anchors}). Detected from {@code /etc/os-release} (ID, ID_LIKE)
 * and which of the two tools is installed.
 */
record SystemTrustStore(Family family, Path anchor, Path tool, String system) {
    private static final List<String> TOOL_DIRS =
            List.of("usr/local/sbin", "usr/local/bin", "usr/sbin", "usr/bin", "sbin", "bin");

    enum Family {
        DEBIAN("Debian, Ubuntu", "/usr/local/share/ca-certificates", "push-relay-ca.crt",
                "update-ca-certificates", List.of(), List.of("--fresh")),
        RHEL("RHEL, CentOS, Rocky, Alma, Fedora, Amazon Linux", "/etc/pki/ca-trust/source/anchors",
                "push-relay-ca.pem", "update-ca-trust", List.of("extract"), List.of("extract"));

        final String names;
        final String folder;
        final String file;
        final String tool;
        final List<String> installArgs;
        final List<String> uninstallArgs;

        Family(String names, String folder, String file, String tool, List<String> installArgs,
               List<String> uninstallArgs) {
            this.names = names;
            this.folder = folder;
            this.file = file;
            this.tool = tool;
            this.installArgs = installArgs;
            this.uninstallArgs = uninstallArgs;
        }

        String anchorPath() {
            return folder + "/" + file;
        }

        String command(List<String> args) {
            return String.join(" ", concat(tool, args));
        }
    }

    static SystemTrustStore detect(Path root) {
        Map<String, String> release = osRelease(root);
        String system = release.getOrDefault("PRETTY_NAME", release.getOrDefault("ID", "unknown system"));
        List<String> ids = new ArrayList<>();
        ids.addAll(Arrays.asList(release.getOrDefault("ID", "").toLowerCase(Locale.ROOT).split("\\s+")));
        ids.addAll(Arrays.asList(release.getOrDefault("ID_LIKE", "").toLowerCase(Locale.ROOT).split("\\s+")));
        Path debianTool = find(root, Family.DEBIAN.tool);
        Path rhelTool = find(root, Family.RHEL.tool);
        Family family;
        if (ids.contains("debian") || ids.contains("ubuntu")) {
            family = Family.DEBIAN;
        } else if (ids.contains("rhel") || ids.contains("fedora") || ids.contains("centos")) {
            family = Family.RHEL;
        } else if (debianTool != null && rhelTool == null) {
            family = Family.DEBIAN;
        } else if (rhelTool != null && debianTool == null) {
            family = Family.RHEL;
        } else {
            throw new CertsException("find the system trust store", system
                    + " is neither of the Debian nor of the RHEL family (by /etc/os-release and the tools"
                    + " installed); follow the steps 'push-relay certs trust' prints");
        }
        Path tool = family == Family.DEBIAN ? debianTool : rhelTool;
        if (tool == null) {
            throw new CertsException("find the system trust store", family.tool + " not found on " + system
                    + " (install the ca-certificates package)");
        }
        return new SystemTrustStore(family, under(root, family.anchorPath()), tool, system);
    }

    /** The family of this host, or null when it cannot tell; for marking the printed steps. */
    static Family quietly(Path root) {
        try {
            return detect(root).family();
        } catch (CertsException e) {
            return null;
        }
    }

    /** Runs the refresh tool; returns its output, or throws naming the exit status. */
    String refresh(List<String> args) {
        List<String> command = concat(tool.toString(), args);
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new CertsException("run " + tool, FileSet.describe(e), e);
        }
        try (InputStream in = process.getInputStream()) {
            String output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(5, TimeUnit.MINUTES)) {
                throw new CertsException("run " + String.join(" ", command), "no answer after 5 minutes");
            }
            if (process.exitValue() != 0) {
                String last = output.strip().lines().reduce((a, b) -> b).orElse("no output");
                throw new CertsException("run " + String.join(" ", command),
                        "exit status " + process.exitValue() + ": " + last);
            }
            return output;
        } catch (IOException e) {
            throw new CertsException("run " + String.join(" ", command), FileSet.describe(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CertsException("run " + String.join(" ", command), "interrupted", e);
        } finally {
            process.destroyForcibly();
        }
    }

    private static Map<String, String> osRelease(Path root) {
        Map<String, String> values = new HashMap<>();
        for (String name : List.of("etc/os-release", "usr/lib/os-release")) {
            Path file = root.resolve(name);
            if (!Files.isRegularFile(file)) {
                continue;
            }
            try {
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    int eq = line.indexOf('=');
                    if (eq > 0 && !line.startsWith("#")) {
                        values.put(line.substring(0, eq).trim(), unquote(line.substring(eq + 1).trim()));
                    }
                }
                return values;
            } catch (IOException e) {
                return values;
            }
        }
        return values;
    }

    private static String unquote(String value) {
        if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                || value.startsWith("'") && value.endsWith("'"))) {
            return value.substring(1, value.length() - 1);
        }
        return value;
    }

    private static Path find(Path root, String tool) {
        for (String dir : TOOL_DIRS) {
            Path candidate = root.resolve(dir).resolve(tool);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static Path under(Path root, String absolute) {
        return root.resolve(absolute.substring(1));
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }
}
