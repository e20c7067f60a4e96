package io.pushrelay.core.sim;

import java.util.Map;

/**
 * One HTTP/1.x request head read by {@link ConnectRequestDecoder}.
 *
 * @param method   e.g. {@code CONNECT}
 * @param target   the request target as sent ({@code host:port} for CONNECT)
 * @param version  {@code HTTP/1.1} or {@code HTTP/1.0}
 * @param headers  lower-case names; the first value of a repeated header
 * @param error    null, or why the head could not be read (then the other fields may be empty)
 */
record ProxyRequest(String method, String target, String version, Map<String, String> headers, String error) {
    static ProxyRequest malformed(String why) {
        return new ProxyRequest("", "", "", Map.of(), why);
    }

    String header(String name) {
        return headers.get(name);
    }

    /** HTTP/1.1 keeps the connection unless it says {@code close}; HTTP/1.0 only with {@code keep-alive}. */
    boolean keepAlive() {
        String connection = headers.getOrDefault("connection", headers.getOrDefault("proxy-connection", ""));
        return version.equals("HTTP/1.1") ? !connection.equalsIgnoreCase("close")
                : connection.equalsIgnoreCase("keep-alive");
    }
}
