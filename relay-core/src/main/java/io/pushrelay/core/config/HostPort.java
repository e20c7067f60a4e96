package io.pushrelay.core.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * {@code HOST:PORT} as config files write it: {@code api.push.apple.com:443},
 * {@code 10.0.0.5:8443}, {@code [::1]:443}. The host is a DNS name or an IP literal (IPv6
 * without brackets here, with brackets in {@link #toString()}); nothing is resolved. Port 0
 * parses (a listener on an ephemeral port); the records that connect somewhere require 1-65535.
 *
 * @param host lower-case name or IP literal, no brackets
 * @param port 0-65535
 */
public record HostPort(String host, int port) {
    public HostPort {
        if (host == null || host.isEmpty()) {
            throw new InvalidValueException("empty host");
        }
        host = host.toLowerCase(Locale.ROOT);
        InetAddress ip = IpLiterals.parse(host);
        if (ip == null && !IpLiterals.isHostName(host)) {
            throw new InvalidValueException("'" + host + "' is neither a host name nor an IP address");
        }
        if (ip instanceof java.net.Inet6Address) {
            host = Cidr.shortIpv6(ip.getAddress());
        }
        if (port < 0 || port > 65535) {
            throw new InvalidValueException("port must be between 0 and 65535, got " + port);
        }
    }

    /** Parses {@code HOST:PORT} or {@code [IPV6]:PORT}; throws {@link InvalidValueException}. */
    public static HostPort parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidValueException("expected HOST:PORT, got nothing");
        }
        String s = text.strip();
        String host;
        String port;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
                throw new InvalidValueException("expected [IPV6]:PORT, got '" + text + "'");
            }
            host = s.substring(1, close);
            if (IpLiterals.parse(host) == null || IpLiterals.isIpv4(host)) {
                throw new InvalidValueException("'" + host + "' in '" + text + "' is not an IPv6 address");
            }
            port = s.substring(close + 2);
        } else {
            int colon = s.lastIndexOf(':');
            if (colon < 0) {
                throw new InvalidValueException("expected HOST:PORT, got '" + text + "' (no port)");
            }
            if (s.indexOf(':') != colon) {
                throw new InvalidValueException("expected HOST:PORT, got '" + text + "' (write IPv6 addresses in brackets: [::1]:443)");
            }
            host = s.substring(0, colon);
            port = s.substring(colon + 1);
        }
        if (host.isEmpty()) {
            throw new InvalidValueException("expected HOST:PORT, got '" + text + "' (no host; 0.0.0.0 or [::] for every address)");
        }
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(Character::isDigit)) {
            throw new InvalidValueException("port must be a number between 0 and 65535, got '" + port + "' in '" + text + "'");
        }
        return new HostPort(host, Integer.parseInt(port));
    }

    /** Whether the host is an IP literal (no DNS needed to reach it). */
    public boolean isIpLiteral() {
        return IpLiterals.parse(host) != null;
    }

    /** The socket address; an IP literal is used as is, a name is resolved now (blocking). */
    public InetSocketAddress toSocketAddress() {
        InetAddress ip = IpLiterals.parse(host);
        return ip != null ? new InetSocketAddress(ip, port) : new InetSocketAddress(host, port);
    }

    /** A copy on another port (a listener bound on port 0 reports its real one). */
    public HostPort withPort(int newPort) {
        return new HostPort(host, newPort);
    }

    HostPort requirePort(String key) {
        if (port == 0) {
            throw new InvalidValueException(key, "port 0 only makes sense for a listener, got " + this);
        }
        return this;
    }

    /** {@code host:port}, IPv6 in brackets. */
    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
