package io.pushrelay.core.inbound;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The HTTP/1.1 status line's reason phrase for each status code, as the IANA registry has had
 * them since RFC 7231 ({@code 413 Payload Too Large}, {@code 414 URI Too Long}), where Netty's
 * {@link HttpResponseStatus#valueOf(int)} still has RFC 2616's ({@code Request Entity Too
 * Large}) and makes up {@code Client Error (418)} for codes it does not know. A code without a
 * registered phrase gets an empty one, which RFC 9112 4 allows ({@code HTTP/1.1 599 }); clients
 * ignore the phrase anyway, but people and some tools read it.
 */
public final class ReasonPhrases {
    private static final String[] PHRASES = new String[600];

    static {
        put(100, "Continue");
        put(101, "Switching Protocols");
        put(200, "OK");
        put(201, "Created");
        put(202, "Accepted");
        put(203, "Non-Authoritative Information");
        put(204, "No Content");
        put(205, "Reset Content");
        put(206, "Partial Content");
        put(300, "Multiple Choices");
        put(301, "Moved Permanently");
        put(302, "Found");
        put(303, "See Other");
        put(304, "Not Modified");
        put(305, "Use Proxy");
        put(307, "Temporary Redirect");
        put(308, "Permanent Redirect");
        put(400, "Bad Request");
        put(401, "Unauthorized");
        put(402, "Payment Required");
        put(403, "Forbidden");
        put(404, "Not Found");
        put(405, "Method Not Allowed");
        put(406, "Not Acceptable");
        put(407, "Proxy Authentication Required");
        put(408, "Request Timeout");
        put(409, "Conflict");
        put(410, "Gone");
        put(411, "Length Required");
        put(412, "Precondition Failed");
        put(413, "Payload Too Large");
        put(414, "URI Too Long");
        put(415, "Unsupported Media Type");
        put(416, "Range Not Satisfiable");
        put(417, "Expectation Failed");
        put(421, "Misdirected Request");
        put(422, "Unprocessable Entity");
        put(425, "Too Early");
        put(426, "Upgrade Required");
        put(428, "Precondition Required");
        put(429, "Too Many Requests");
        put(431, "Request Header Fields Too Large");
        put(451, "Unavailable For Legal Reasons");
        put(500, "Internal Server Error");
        put(501, "Not Implemented");
        put(502, "Bad Gateway");
        put(503, "Service Unavailable");
        put(504, "Gateway Timeout");
        put(505, "HTTP Version Not Supported");
        put(511, "Network Authentication Required");
    }

    private static final HttpResponseStatus[] STATUSES = new HttpResponseStatus[1000];

    static {
        for (int code = 100; code < STATUSES.length; code++) {
            STATUSES[code] = new HttpResponseStatus(code, of(code));
        }
    }

    private ReasonPhrases() {
    }

    private static void put(int code, String phrase) {
        PHRASES[code] = phrase;
    }

    /** The registered phrase of {@code code}, or the empty string. */
    public static String of(int code) {
        return code >= 100 && code < PHRASES.length && PHRASES[code] != null ? PHRASES[code] : "";
    }

    /** {@code code} with its registered phrase (or none); a code outside 100-999 is refused. */
    public static HttpResponseStatus status(int code) {
        if (code < 100 || code >= STATUSES.length) {
            throw new IllegalArgumentException("status code out of range 100-999: " + code);
        }
        return STATUSES[code];
    }
}
