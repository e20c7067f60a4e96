package io.pushrelay.certs.cli;

import io.pushrelay.certs.CertsException;
import io.pushrelay.certs.FileSet;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Passphrase and password files: the first line, trailing newline stripped, as a char[]. */
final class Secrets {
    private Secrets() {
    }

    /** Returns null when {@code file} is null; the caller wipes the result with {@link #wipe}. */
    static char[] firstLine(Path file, String option) {
        if (file == null) {
            return null;
        }
        String what = "read " + option + " " + file;
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CertsException(what, FileSet.describe(e), e);
        }
        CharBuffer chars = null;
        try {
            chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            int end = 0;
            while (end < chars.length() && chars.charAt(end) != '\n') {
                end++;
            }
            if (end > 0 && chars.charAt(end - 1) == '\r') {
                end--;
            }
            if (end == 0) {
                throw new CertsException(what, "the first line is empty");
            }
            char[] line = new char[end];
            chars.get(line, 0, end);
            return line;
        } catch (CharacterCodingException e) {
            throw new CertsException(what, "not UTF-8 text", e);
        } finally {
            Arrays.fill(bytes, (byte) 0);
            if (chars != null && chars.hasArray()) {
                Arrays.fill(chars.array(), '\0');
            }
        }
    }

    static void wipe(char[] secret) {
        if (secret != null) {
            Arrays.fill(secret, '\0');
        }
    }
}
