package io.pushrelay.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The file half of {@code check} (Envoy's {@code --mode validate}): every file a loaded config
 * names exists, is a readable regular file, and, for keys and passwords, is not readable by every
 * user. Reads nothing but file attributes; binds nothing.
 */
public final class FileCheck {
    private FileCheck() {
    }

    /** Problems as {@code KEY: PATH: what}, in config order; empty when every file is fine. */
    public static List<String> check(RoleConfig config) {
        List<String> problems = new ArrayList<>();
        for (ConfigFile f : config.files()) {
            String problem = problem(f);
            if (problem != null) {
                problems.add(f.key() + ": " + f.path() + ": " + problem);
            }
        }
        return problems;
    }

    private static String problem(ConfigFile f) {
        Path p = f.path();
        if (!Files.exists(p)) {
            return "no such file";
        }
        if (!Files.isRegularFile(p)) {
            return "not a regular file";
        }
        if (!Files.isReadable(p)) {
            return "not readable by this user";
        }
        if (f.secret()) {
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                if (perms.contains(PosixFilePermission.OTHERS_READ)) {
                    return "readable by every user; chmod 600 (or 640 with group push-relay)";
                }
            } catch (UnsupportedOperationException | IOException e) {
                return null;
            }
        }
        return null;
    }
}
