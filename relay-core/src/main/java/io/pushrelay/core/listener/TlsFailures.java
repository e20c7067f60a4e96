package io.pushrelay.core.listener;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.Locale;

/** Sorting of connection errors into what deserves a WARN and what is a peer hanging up. */
final class TlsFailures {
    private TlsFailures() {
    }

    /** The cause under Netty's decoder wrapping. */
    static Throwable unwrap(Throwable cause) {
        Throwable c = cause;
        while (c instanceof DecoderException && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    /** A reset, a broken pipe, a close in the middle: the peer went away, nothing to fix here. */
    static boolean isHangUp(Throwable cause) {
        Throwable c = unwrap(cause);
        if (c instanceof ClosedChannelException) {
            return true;
        }
        String message = c.getMessage() == null ? "" : c.getMessage().toLowerCase(Locale.ROOT);
        if (c instanceof IOException && (message.contains("connection reset") || message.contains("broken pipe")
                || message.contains("connection closed"))) {
            return true;
        }
        return false;
    }

    static boolean isNotTls(Throwable cause) {
        return unwrap(cause) instanceof NotSslRecordException;
    }

    /** One line: exception type and message, never the bytes some Netty messages carry. */
    static String describe(Throwable cause) {
        Throwable c = unwrap(cause);
        if (c instanceof NotSslRecordException) {
            return "not a TLS record";
        }
        String message = c.getMessage();
        String line = c.getClass().getSimpleName() + (message == null ? "" : ": " + firstLine(message));
        Throwable root = c;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != c && root.getMessage() != null) {
            // OpenSSL's "General OpenSslEngine problem" says nothing; the trust manager's reason does.
            line += " (" + root.getClass().getSimpleName() + ": " + firstLine(root.getMessage()) + ")";
        }
        return line;
    }

    private static String firstLine(String message) {
        int nl = message.indexOf('\n');
        String line = nl < 0 ? message : message.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }
}
