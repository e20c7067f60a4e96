package io.pushrelay.certs.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pushrelay.certs.CertsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretsTest {
    @TempDir
    Path dir;

    private char[] read(byte[] content) throws Exception {
        return Secrets.firstLine(Files.write(dir.resolve("f"), content), "--passphrase-file");
    }

    @Test
    void firstLineShouldLoseOnlyItsLineEnd() throws Exception {
        assertArrayEquals(" pass word ".toCharArray(), read(" pass word \nline two\n".getBytes()));
        assertArrayEquals("crlf".toCharArray(), read("crlf\r\n".getBytes()));
        assertArrayEquals("no newline".toCharArray(), read("no newline".getBytes()));
        assertArrayEquals("grüße".toCharArray(), read("grüße\n".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertNull(Secrets.firstLine(null, "--passphrase-file"));
    }

    @Test
    void emptyOrBinaryFirstLineShouldBeRefused() {
        assertEquals("the first line is empty", assertThrows(CertsException.class, () -> read("\nsecond".getBytes())).reason());
        assertEquals("the first line is empty", assertThrows(CertsException.class, () -> read(new byte[0])).reason());
        assertEquals("not UTF-8 text", assertThrows(CertsException.class, () -> read(new byte[] {(byte) 0xff, 'a'})).reason());
        assertEquals("no such file or folder", assertThrows(CertsException.class,
                () -> Secrets.firstLine(dir.resolve("missing"), "--passphrase-file")).reason());
    }
}
