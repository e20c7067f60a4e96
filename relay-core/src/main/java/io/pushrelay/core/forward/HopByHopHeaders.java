package io.pushrelay.core.forward;

import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Removal of hop-by-hop headers (RFC 9110 7.6.1), which describe one connection and must not
 * travel past it: {@code Connection} and every header it names, {@code Keep-Alive},
 * {@code Proxy-*}, {@code TE} unless it is exactly {@code trailers} (the one value HTTP/2
 * allows, RFC 9113 8.2.2), {@code Transfer-Encoding}, {@code Upgrade} and
 * {@code HTTP2-Settings}. Works on lower-case (HTTP/2 style) header names.
 */
public final class HopByHopHeaders {
    private static final AsciiString CONNECTION = AsciiString.cached("connection");
    private static final AsciiString TE = AsciiString.cached("te");
    private static final AsciiString TRAILERS = AsciiString.cached("trailers");
    private static final List<AsciiString> ALWAYS = List.of(
            CONNECTION,
            AsciiString.cached("keep-alive"),
            AsciiString.cached("transfer-encoding"),
            AsciiString.cached("upgrade"),
            AsciiString.cached("http2-settings"));

    private HopByHopHeaders() {
    }

    /** Removes every hop-by-hop header from {@code headers}, in place. */
    public static void strip(Http2Headers headers) {
        for (CharSequence value : headers.getAll(CONNECTION)) {
            for (String named : value.toString().split(",")) {
                String name = named.trim();
                if (!name.isEmpty()) {
                    headers.remove(AsciiString.of(name).toLowerCase());
                }
            }
        }
        for (AsciiString name : ALWAYS) {
            headers.remove(name);
        }
        List<CharSequence> te = headers.getAll(TE);
        if (!te.isEmpty()) {
            boolean trailers = false;
            for (CharSequence value : te) {
                for (String coding : value.toString().split(",")) {
                    String c = coding.trim();
                    int semicolon = c.indexOf(';');
                    if (semicolon >= 0) {
                        c = c.substring(0, semicolon).trim();
                    }
                    trailers |= TRAILERS.contentEqualsIgnoreCase(c);
                }
            }
            headers.remove(TE);
            if (trailers) {
                headers.set(TE, TRAILERS);
            }
        }
        List<CharSequence> proxyHeaders = null;
        for (Map.Entry<CharSequence, CharSequence> header : headers) {
            CharSequence name = header.getKey();
            if (name.length() > 6 && AsciiString.regionMatches(name, true, 0, "proxy-", 0, 6)) {
                if (proxyHeaders == null) {
                    proxyHeaders = new ArrayList<>(2);
                }
                proxyHeaders.add(name);
            }
        }
        if (proxyHeaders != null) {
            for (CharSequence name : proxyHeaders) {
                headers.remove(name);
            }
        }
    }
}
