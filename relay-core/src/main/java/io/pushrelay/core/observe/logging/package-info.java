/**
 * Logging for the relay processes: {@link io.pushrelay.core.observe.logging.LogSetup}
 * configures Logback from {@link io.pushrelay.core.config.LogSettings} (operational log on
 * stderr, access log {@code push-relay.access} on stdout, a file or off; text or JSON) and
 * reopens the access log file for logrotate.
 *
 * <p>Formats: {@link io.pushrelay.core.observe.logging.TextLayout} (one line per event) and
 * {@link io.pushrelay.core.observe.logging.JsonLayout} (one object per line; its javadoc is
 * the reference for the JSON field names). Safety net:
 * {@link io.pushrelay.core.observe.logging.Redactor} (device tokens cut to six characters
 * and {@code …}; {@code authorization} values, bearer credentials and JWTs replaced) in both
 * layouts, and {@link io.pushrelay.core.observe.logging.PayloadDumpFilter} against Netty's
 * hex dumps. The same layouts and filter are in the default {@code logback.xml}.
 */
package io.pushrelay.core.observe.logging;
