package io.pushrelay.certs.cli;

import io.pushrelay.certs.CertsException;
import io.pushrelay.certs.FileSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A folder that output goes into: created 0700 when missing (it will hold a private key), and
 * removed again on close unless {@link #keep()} was called, so that a failed command leaves
 * nothing behind.
 */
final class OutputFolder implements AutoCloseable {
    private final Path dir;
    private final Path created;
    private boolean keep;

    private OutputFolder(Path dir, Path created) {
        this.dir = dir;
        this.created = created;
    }

    static OutputFolder open(Path dir, String option) {
        Path absolute = dir.toAbsolutePath().normalize();
        if (Files.exists(absolute)) {
            if (!Files.isDirectory(absolute)) {
                throw new CertsException(option + " " + dir, "not a folder");
            }
            return new OutputFolder(absolute, null);
        }
        Path topmost = absolute;
        while (topmost.getParent() != null && !Files.exists(topmost.getParent())) {
            topmost = topmost.getParent();
        }
        try {
            Files.createDirectories(absolute, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new CertsException("create folder " + dir, FileSet.describe(e), e);
        }
        return new OutputFolder(absolute, topmost);
    }

    /** Whether this command made the folder (worth saying in its report). */
    boolean created() {
        return created != null;
    }

    void keep() {
        keep = true;
    }

    @Override
    public void close() {
        if (keep || created == null) {
            return;
        }
        for (Path p = dir; p != null && p.startsWith(created); p = p.getParent()) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                return; // not empty or not ours to remove: leave it
            }
        }
    }
}
