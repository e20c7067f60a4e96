package io.pushrelay.core.observe;

import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.RelayResponse;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per answered request on the SLF4J logger {@value #LOGGER_NAME}, fields separated
 * by one space, {@code -} when absent:
 *
 * <pre>
 * time downstream authority method path status apns-id upstream-connection flag latency
 * 2026-11-26T03:27:21.123Z 127.0.0.1:51234 api.push.apple.com POST /3/device/abcdef… 200 0a1b2c3d-… up-3 - 2ms
 * </pre>
 *
 * <p>{@code time} is when the request head arrived (UTC), {@code flag} the relay error's
 * access-log flag ({@link io.pushrelay.core.forward.RelayError#flag()}) when the relay made
 * the answer, {@code latency} from the request head to the answer. Device tokens in paths are
 * masked ({@link #maskPath}); payloads and {@code authorization} never appear. Every field
 * that a client controls is cut to printable ASCII so that a line stays one line.
 * Thread-safe.
 */
public final class AccessLog {
    public static final String LOGGER_NAME = "push-relay.access";

    private static final String DEVICE_PREFIX = "/3/device/";
    private static final int SHOWN_TOKEN_CHARS = 6;
    private static final int LONG_HEX_RUN = 16;
    private static final int MAX_FIELD = 256;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_INSTANT;
    private static final AsciiString APNS_ID = AsciiString.cached("apns-id");
    /** The last second {@link #appendTime} formatted (a benign race: any thread may replace it). */
    private static volatile SecondText lastSecond;

    private final Logger log;

    public AccessLog() {
        this(LoggerFactory.getLogger(LOGGER_NAME));
    }

    public AccessLog(Logger log) {
        this.log = log;
    }

    /**
     * Logs the line for {@code request} answered by {@code response}; takes ownership of neither.
     * Cheap on the caller's thread: it copies the fields into an immutable entry, and the line is
     * formatted when the entry's {@code toString()} is asked for (by the access log's writer,
     * {@link io.pushrelay.core.observe.logging.AsyncAccessAppender}, off the event loop).
     */
    public void log(RelayRequest request, RelayResponse response, long answeredNanos) {
        if (log.isInfoEnabled()) {
            log.info("{}", new Entry(request, response, answeredNanos));
        }
    }

    /** The line {@link #log} writes. */
    public static String line(RelayRequest request, RelayResponse response, long answeredNanos) {
        return new Entry(request, response, answeredNanos).toString();
    }

    /** One answered exchange, as the access log needs it; immutable, formatted by {@link #toString()}. */
    private static final class Entry {
        private final long startMillis;
        private final long latencyNanos;
        private final InetSocketAddress downstream;
        private final String authority;
        private final String method;
        private final String path;
        private final int status;
        private final String apnsId;
        private final String upstreamConnection;
        private final String flag;

        Entry(RelayRequest request, RelayResponse response, long answeredNanos) {
            long received = request.receivedNanos();
            this.latencyNanos = Math.max(0, answeredNanos - received);
            this.startMillis = System.currentTimeMillis()
                    - TimeUnit.NANOSECONDS.toMillis(Math.max(0, System.nanoTime() - received));
            this.downstream = request.downstream();
            this.authority = request.authority();
            this.method = request.method();
            this.path = request.path();
            this.status = response.status();
            CharSequence id = header(response.headers(), APNS_ID);
            if (id == null) {
                id = header(request.headers(), APNS_ID);
            }
            this.apnsId = id == null ? null : id.toString();
            this.upstreamConnection = response.upstreamConnection();
            this.flag = response.error() == null ? "-" : response.error().flag();
        }

        @Override
        public String toString() {
            StringBuilder line = new StringBuilder(160);
            appendTime(line, startMillis).append(' ')
                    .append(Downstream.format(downstream)).append(' ');
            appendSafe(line, authority).append(' ');
            appendSafe(line, method).append(' ');
            line.append(maskPath(path)).append(' ')
                    .append(status).append(' ');
            appendSafe(line, apnsId).append(' ');
            appendSafe(line, upstreamConnection).append(' ')
                    .append(flag).append(' ')
                    .append(TimeUnit.NANOSECONDS.toMillis(latencyNanos)).append("ms");
            return line.toString();
        }
    }

    /**
     * The path as it may be logged: the segment after {@code /3/device/} (an APNS device
     * token) and any other run of 16 or more hex digits shown as its first 6 characters and
     * {@code …}; non-printable characters as {@code ?}; at most 256 characters.
     */
    public static String maskPath(String path) {
        if (path == null || path.isEmpty()) {
            return "-";
        }
        StringBuilder out = new StringBuilder(Math.min(path.length(), MAX_FIELD) + 8);
        int i = 0;
        if (path.startsWith(DEVICE_PREFIX)) {
            out.append(DEVICE_PREFIX);
            i = DEVICE_PREFIX.length();
            int end = i;
            while (end < path.length() && path.charAt(end) != '/' && path.charAt(end) != '?') {
                end++;
            }
            if (end > i) {
                appendPrintable(out, path, i, Math.min(end, i + SHOWN_TOKEN_CHARS));
                out.append('…');
            }
            i = end;
        }
        while (i < path.length() && out.length() < MAX_FIELD) {
            int run = i;
            while (run < path.length() && isHex(path.charAt(run))) {
                run++;
            }
            if (run - i >= LONG_HEX_RUN) {
                out.append(path, i, i + SHOWN_TOKEN_CHARS).append('…');
                i = run;
            } else if (run > i) {
                out.append(path, i, run);
                i = run;
            } else {
                appendPrintable(out, path, i, i + 1);
                i++;
            }
        }
        if (out.length() > MAX_FIELD) {
            out.setLength(MAX_FIELD);
        }
        if (i < path.length()) {
            out.append('…');
        }
        return out.toString();
    }

    /** A client-controlled value as it may be logged: printable ASCII, at most 256 characters, {@code -} when empty. */
    public static String safe(CharSequence value) {
        return appendSafe(new StringBuilder(), value).toString();
    }

    /**
     * {@code millis} as {@link DateTimeFormatter#ISO_INSTANT} prints it ({@code 2026-11-26T03:27:21.123Z};
     * no fraction when the milliseconds are 0), with the part up to the seconds formatted once per second.
     */
    static StringBuilder appendTime(StringBuilder out, long millis) {
        long second = Math.floorDiv(millis, 1000);
        int fraction = (int) Math.floorMod(millis, 1000);
        SecondText cached = lastSecond;
        if (cached == null || cached.second != second) {
            String full = TIME.format(Instant.ofEpochSecond(second));
            cached = new SecondText(second, full.substring(0, full.length() - 1));
            lastSecond = cached;
        }
        out.append(cached.text);
        if (fraction != 0) {
            out.append('.').append((char) ('0' + fraction / 100)).append((char) ('0' + fraction / 10 % 10))
                    .append((char) ('0' + fraction % 10));
        }
        return out.append('Z');
    }

    /** An epoch second and its ISO text without the {@code Z}; immutable, so sharing it between threads is safe. */
    private record SecondText(long second, String text) {
    }

    private static CharSequence header(Http2Headers headers, AsciiString name) {
        return headers == null ? null : headers.get(name);
    }

    private static StringBuilder appendSafe(StringBuilder out, CharSequence value) {
        if (value == null || value.length() == 0) {
            return out.append('-');
        }
        int end = Math.min(value.length(), MAX_FIELD);
        appendPrintable(out, value, 0, end);
        if (end < value.length()) {
            out.append('…');
        }
        return out;
    }

    private static void appendPrintable(StringBuilder out, CharSequence value, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = value.charAt(i);
            out.append(c > 0x20 && c < 0x7f ? c : '?');
        }
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
