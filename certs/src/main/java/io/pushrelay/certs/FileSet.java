package io.pushrelay.certs;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a group of files all or nothing: each is written to a temporary file beside its
 * target (keys created 0600 from the start, never widened later), and only when every one
 * was written are they moved into place. Existing targets are refused unless {@code force}.
 * On any failure the temporary files are removed, so no partial output is left behind.
 */
public final class FileSet {
    private static final Set<PosixFilePermission> SECRET = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> PUBLIC = PosixFilePermissions.fromString("rw-r--r--");

    private final Map<Path, Entry> entries = new LinkedHashMap<>();

    private record Entry(byte[] content, boolean secret) {
    }

    /** Adds a file readable by everyone (certificates). */
    public FileSet add(Path path, byte[] content) {
        entries.put(path.toAbsolutePath().normalize(), new Entry(content, false));
        return this;
    }

    /** Adds a file readable only by its owner (private keys, PKCS#12). */
    public FileSet addSecret(Path path, byte[] content) {
        entries.put(path.toAbsolutePath().normalize(), new Entry(content, true));
        return this;
    }

    public List<Path> paths() {
        return List.copyOf(entries.keySet());
    }

    /**
     * Writes every file or none; the exception names the file at fault. When a move into place
     * fails half way, the files already moved are taken back and, with {@code force}, the
     * files they replaced are restored.
     */
    public List<Path> write(boolean force) {
        if (!force) {
            for (Path path : entries.keySet()) {
                if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                    throw new CertsException("write " + path, "file exists (use --force to overwrite)");
                }
            }
        }
        List<Path[]> staged = new ArrayList<>();
        List<Path[]> backups = new ArrayList<>();
        List<Path> placed = new ArrayList<>();
        boolean done = false;
        try {
            for (Map.Entry<Path, Entry> e : entries.entrySet()) {
                Path target = e.getKey();
                Path dir = target.getParent();
                if (!Files.isDirectory(dir)) {
                    throw new CertsException("write " + target, "folder " + dir + " does not exist");
                }
                if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new CertsException("write " + target, "is a folder");
                }
                Path temp;
                try {
                    temp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp",
                            PosixFilePermissions.asFileAttribute(SECRET));
                } catch (IOException ex) {
                    throw new CertsException("write " + target, describe(ex), ex);
                }
                staged.add(new Path[] {temp, target});
                try {
                    Files.write(temp, e.getValue().content());
                    if (!e.getValue().secret()) {
                        Files.setPosixFilePermissions(temp, PUBLIC);
                    }
                } catch (IOException ex) {
                    throw new CertsException("write " + target, describe(ex), ex);
                }
            }
            for (Path[] pair : staged) {
                Path target = pair[1];
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    Path backup = target.resolveSibling("." + target.getFileName() + ".old-" + System.nanoTime());
                    move(target, backup);
                    backups.add(new Path[] {backup, target});
                }
                move(pair[0], target);
                placed.add(target);
            }
            done = true;
            return paths();
        } finally {
            if (!done) {
                for (Path target : placed) {
                    deleteQuietly(target);
                }
                for (Path[] pair : backups) {
                    try {
                        Files.move(pair[0], pair[1], StandardCopyOption.REPLACE_EXISTING);
                    } catch (IOException ignored) {
                        // the old file stays beside the target under its hidden backup name
                    }
                }
            } else {
                for (Path[] pair : backups) {
                    deleteQuietly(pair[0]);
                }
            }
            for (Path[] pair : staged) {
                deleteQuietly(pair[0]);
            }
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // best effort: temporary files are hidden and mode 0600
        }
    }

    private static void move(Path from, Path to) {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            try {
                Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException ex) {
                throw new CertsException("write " + to, describe(ex), ex);
            }
        } catch (IOException e) {
            throw new CertsException("write " + to, describe(e), e);
        }
    }

    /** An I/O failure in a few words: {@code permission denied}, {@code no such file or folder}, ... */
    public static String describe(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or folder";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "file exists";
        }
        if (e instanceof FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
