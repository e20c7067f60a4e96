package io.pushrelay.core.sim;

import java.time.Instant;

/**
 * One FCM message the simulator accepted, as recorded for tests.
 *
 * @param projectId    from the path
 * @param name         the name answered, {@code projects/<id>/messages/<n>}
 * @param message      the request's {@code message} object, as JSON text
 * @param target       the {@code token}, {@code topic} or {@code condition} it was sent to
 * @param protocol     {@code h2}, {@code h2-prior-knowledge} or {@code http/1.1}
 * @param connectionId the simulator's id of the connection it came on
 * @param receivedAt   when it was answered
 */
public record AcceptedMessage(String projectId, String name, String message, String target, String protocol,
                              String connectionId, Instant receivedAt) {
}
