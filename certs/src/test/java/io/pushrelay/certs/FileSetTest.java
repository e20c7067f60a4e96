package io.pushrelay.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSetTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void secretsShouldBeOwnerOnlyAndPublicFilesReadable() throws IOException {
        new FileSet().add(dir.resolve("a.pem"), new byte[] {1}).addSecret(dir.resolve("a.key"), new byte[] {2}).write(false);
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a.pem"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("a.key"))));
    }

    @Test
    void oneExistingFileShouldStopTheWholeSetAndLeaveNoTemporaries() throws IOException {
        Files.writeString(dir.resolve("b.key"), "old");
        FileSet set = new FileSet().add(dir.resolve("b.pem"), new byte[] {1}).addSecret(dir.resolve("b.key"), new byte[] {2});
        CertsException e = assertThrows(CertsException.class, () -> set.write(false));
        assertEquals("file exists (use --force to overwrite)", e.reason());
        assertEquals(List.of("b.key"), names());
        assertEquals("old", Files.readString(dir.resolve("b.key")));
    }

    @Test
    void aFolderInTheWayShouldStopTheSetBeforeAnythingMoves() throws IOException {
        Files.createDirectory(dir.resolve("c.key"));
        FileSet set = new FileSet().add(dir.resolve("c.pem"), new byte[] {1}).addSecret(dir.resolve("c.key"), new byte[] {2});
        CertsException e = assertThrows(CertsException.class, () -> set.write(true));
        assertEquals("is a folder", e.reason());
        assertEquals(List.of("c.key"), names());
    }

    @Test
    void forceShouldReplaceAndLeaveNoBackups() throws IOException {
        Files.writeString(dir.resolve("d.pem"), "old");
        new FileSet().add(dir.resolve("d.pem"), "new".getBytes()).write(true);
        assertEquals("new", Files.readString(dir.resolve("d.pem")));
        assertEquals(List.of("d.pem"), names());
    }
}
