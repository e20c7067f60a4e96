package io.pushrelay.core.config;

/**
 * The admin endpoint (health, readiness, metrics). Keep it on loopback or a management network:
 * it has no authentication.
 *
 * @param listen where it listens
 */
public record AdminSettings(HostPort listen) {
    public AdminSettings {
        InvalidValueException.required("listen", listen, "HOST:PORT for health and metrics, e.g. 127.0.0.1:9901");
    }
}
