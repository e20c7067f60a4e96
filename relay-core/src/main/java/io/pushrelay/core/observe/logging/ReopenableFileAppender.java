package io.pushrelay.core.observe.logging;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Appends events to a file opened in append mode ({@code O_APPEND}), and opens it again on
 * {@link #reopen()}, for logrotate:
 *
 * <ul>
 *   <li>{@code create}: logrotate renames the file and the relay is told to reopen; the next
 *       event goes to a new file at the configured path.</li>
 *   <li>{@code copytruncate}: logrotate copies and truncates the file in place; with
 *       {@code O_APPEND} the next write lands at the new end, so the file holds no hole of
 *       zeros, with or without a reopen.</li>
 * </ul>
 *
 * <p>A file this appender creates gets mode {@code 0640} ({@code rw-r-----}), whatever the
 * umask; an existing file keeps its mode. The parent directory must exist. Each event is one
 * {@code write} and is flushed at once (a batch, {@link #appendBatch}, one {@code write} of whole
 * lines), so a line is never split across the rotation.
 *
 * <p>Thread-safe: {@link #reopen()} swaps the stream under the appender's write lock, so no
 * event is lost or split while it runs.
 */
public final class ReopenableFileAppender extends BatchingStreamAppender {
    /** The mode of a file this appender creates. */
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r-----");

    private final Path file;

    /** Opens (or creates) {@code file} for appending; the appender still needs a context, an encoder and {@link #start()}. */
    public ReopenableFileAppender(Path file) throws IOException {
        this.file = file;
        setOutputStream(open(file));
    }

    public Path file() {
        return file;
    }

    /**
     * Opens the file at the path again (creating it if it was moved away) and closes the
     * previous one. If it cannot be opened, the previous file stays in use.
     *
     * @throws IOException the path could not be opened; nothing changed
     */
    public void reopen() throws IOException {
        setOutputStream(open(file));
    }

    static OutputStream open(Path file) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE_MODE));
            // The umask may have taken group read away; 0640 is the documented mode.
            Files.setPosixFilePermissions(file, FILE_MODE);
        } catch (FileAlreadyExistsException e) {
            // Append to it as it is.
        }
        return Files.newOutputStream(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }
}
