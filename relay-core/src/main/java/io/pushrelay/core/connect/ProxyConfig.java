package io.pushrelay.core.connect;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;

/**
 * The corporate proxy that upstream connections tunnel through with {@code CONNECT host:port}.
 * Parsed from {@code http://[user@]host:port} or {@code https://[user@]host:port} (TLS to the
 * proxy itself); the password is given separately so that it never sits in a URL that ends up in
 * a log. {@link #toString()} never shows the password.
 *
 * @param tls      {@code true} for {@code https://}: TLS to the proxy, then TLS to the upstream inside
 * @param host     the proxy's host name or address (resolved by the connector's {@link HostResolver})
 * @param port     the proxy's port
 * @param user     the Basic auth user, if any
 * @param password the Basic auth password (empty when a user is given without one)
 * @param proxyCa  an extra CA (PEM) that the proxy's own certificate chains to, for {@code https://}
 */
public record ProxyConfig(boolean tls, String host, int port, Optional<String> user, Optional<String> password,
                          Optional<Path> proxyCa) {
    public ProxyConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("proxy host is empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("proxy port " + port + " out of range 1-65535");
        }
        user = user == null ? Optional.empty() : user.filter(u -> !u.isEmpty());
        password = password == null ? Optional.empty() : password;
        proxyCa = proxyCa == null ? Optional.empty() : proxyCa;
        if (user.isPresent() && user.get().indexOf(':') >= 0) {
            throw new IllegalArgumentException("proxy user must not contain ':' (RFC 7617 2)");
        }
    }

    /**
     * Parses {@code http://[user@]host:port} or {@code https://[user@]host:port}. The port is
     * required (proxies have no common default). A password in the URL is refused: give it with
     * {@link #withPassword(String)}.
     *
     * @throws IllegalArgumentException naming what is wrong with {@code url}
     */
    public static ProxyConfig parse(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("proxy URL is empty");
        }
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("proxy URL '" + url + "' is not a URL: " + e.getMessage(), e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("proxy URL '" + url + "': scheme must be http or https");
        }
        if (uri.getHost() == null) {
            throw new IllegalArgumentException("proxy URL '" + url + "' has no host");
        }
        if (uri.getPort() < 0) {
            throw new IllegalArgumentException("proxy URL '" + url + "' has no port (e.g. http://proxy:3128)");
        }
        String path = uri.getRawPath();
        if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null) {
            throw new IllegalArgumentException("proxy URL '" + url + "' must not have a path or query");
        }
        Optional<String> user = Optional.empty();
        String userInfo = uri.getUserInfo();
        if (userInfo != null) {
            if (userInfo.indexOf(':') >= 0) {
                throw new IllegalArgumentException("proxy URL must not carry a password; give it separately");
            }
            user = Optional.of(userInfo);
        }
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new ProxyConfig(scheme.equals("https"), host, uri.getPort(), user, Optional.empty(), Optional.empty());
    }

    public ProxyConfig withPassword(String newPassword) {
        return new ProxyConfig(tls, host, port, user, Optional.ofNullable(newPassword), proxyCa);
    }

    public ProxyConfig withProxyCa(Path ca) {
        return new ProxyConfig(tls, host, port, user, password, Optional.ofNullable(ca));
    }

    /** {@code basic} with a user, {@code none} without: the word used in messages. */
    public String authScheme() {
        return user.isPresent() ? "basic" : "none";
    }

    /** {@code host:port}, IPv6 literals bracketed; with {@code https://} in front for a TLS proxy. */
    public String address() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return (tls ? "https://" : "") + h + ":" + port;
    }

    /** The {@code Proxy-Authorization} value (RFC 7617), if a user is set. */
    Optional<String> authorization() {
        return user.map(u -> "Basic " + Base64.getEncoder()
                .encodeToString((u + ":" + password.orElse("")).getBytes(StandardCharsets.UTF_8)));
    }

    /** The URL without the password. */
    @Override
    public String toString() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return (tls ? "https" : "http") + "://" + user.map(u -> u + "@").orElse("") + h + ":" + port
                + (password.isPresent() ? " (password set)" : "");
    }
}
