package io.pushrelay.core.config;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * {@code http://[user[:password]@]host:port} or {@code https://…}: where a proxy or the next
 * relay listens. The port is required (proxies have no standard port). User and password are
 * percent-decoded. {@link #toString()} never shows the password; {@link #render(boolean)} shows
 * it only when asked not to redact.
 *
 * @param tls      {@code https}: TLS to the endpoint itself
 * @param user     user name for Basic authentication, or null
 * @param password password from the URL itself, or null (the safer place is a password file)
 * @param address  where to connect
 */
public record EndpointUrl(boolean tls, String user, String password, HostPort address) {
    static final String REDACTED = "REDACTED";

    public EndpointUrl {
        if (address == null) {
            throw new InvalidValueException("no address");
        }
        if (address.port() == 0) {
            throw new InvalidValueException("port 0 is not a port one can connect to");
        }
        if (user != null && user.isEmpty()) {
            user = null;
        }
        if (password != null && user == null) {
            throw new InvalidValueException("a password without a user");
        }
    }

    /** Parses an {@code http(s)://} URL; throws {@link InvalidValueException}. */
    public static EndpointUrl parse(String text) {
        if (text == null || text.isBlank()) {
            throw new InvalidValueException("expected http://HOST:PORT or https://HOST:PORT, got nothing");
        }
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new InvalidValueException("not a URL (percent-encode special characters in user and password, "
                    + "or move the password to a password file): " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new InvalidValueException("expected http://HOST:PORT or https://HOST:PORT, got scheme '" + scheme + "'");
        }
        if (uri.getHost() == null) {
            throw new InvalidValueException("expected " + scheme + "://HOST:PORT, got no host");
        }
        if (uri.getPort() < 0) {
            throw new InvalidValueException("expected " + scheme + "://HOST:PORT, got no port");
        }
        String path = uri.getRawPath();
        if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new InvalidValueException("expected " + scheme + "://HOST:PORT, got a path, query or fragment");
        }
        String host = uri.getHost();
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        String user = null;
        String password = null;
        String info = uri.getRawUserInfo();
        if (info != null) {
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            password = colon < 0 ? null : decode(info.substring(colon + 1));
        }
        return new EndpointUrl(scheme.equals("https"), user, password, new HostPort(host, uri.getPort()));
    }

    /** The URL; with {@code redacted}, the password (if any) reads {@code REDACTED}. */
    public String render(boolean redacted) {
        StringBuilder out = new StringBuilder(tls ? "https://" : "http://");
        if (user != null) {
            out.append(encode(user));
            if (password != null) {
                out.append(':').append(redacted ? REDACTED : encode(password));
            }
            out.append('@');
        }
        return out.append(address).toString();
    }

    /** Redacted: safe for logs. */
    @Override
    public String toString() {
        return render(true);
    }

    private static String decode(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            // URI has already refused malformed escapes.
            if (c == '%' && i + 2 < s.length()) {
                out.write(Integer.parseInt(s.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }
}
