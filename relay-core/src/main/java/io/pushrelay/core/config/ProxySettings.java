package io.pushrelay.core.config;

import java.nio.file.Path;

/**
 * The corporate proxy the relay's upstream connections go through ({@code CONNECT host:port},
 * Basic authentication when a user is given). Absent from a config means: connect directly.
 * {@link #toString()} never shows a password.
 *
 * @param url          {@code http://[user@]host:port}, or {@code https://…} for TLS to the proxy itself
 * @param passwordFile file holding the proxy password (first line), for the URL's user; null when
 *                     the URL carries the password or there is no user
 * @param ca           PEM CA that signed an {@code https://} proxy's own certificate (beyond the system trust)
 */
public record ProxySettings(EndpointUrl url, Path passwordFile, Path ca) {
    public ProxySettings {
        InvalidValueException.required("url", url, "http://[user@]HOST:PORT of the proxy");
        if (passwordFile != null && url.user() == null) {
            throw new InvalidValueException("password-file", "needs a user in the url (http://USER@host:port)");
        }
        if (passwordFile != null && url.password() != null) {
            throw new InvalidValueException("password-file", "the url carries a password already; keep one of them (the file is safer)");
        }
        if (ca != null && !url.tls()) {
            throw new InvalidValueException("ca", "only used for an https:// proxy; the url is " + url);
        }
    }
}
