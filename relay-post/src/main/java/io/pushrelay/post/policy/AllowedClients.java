package io.pushrelay.post.policy;

import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.observe.AccessLog;
import io.pushrelay.core.observe.logging.LogThrottle;
import io.pushrelay.core.policy.AccessRule;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code allow-clients}: a request whose connection's verified client certificate names none of
 * the allowed clients ({@link ClientNames}) is answered 403 {@code RelayClientNotAllowed}, and
 * one INFO line says which names the certificate had (at most one a second per certificate's
 * names, the next saying how many it stands for). With no names configured, any certificate
 * the TLS handshake verified against {@code client-ca} is let through (the handshake itself
 * refused a missing or foreign one). Inside a CONNECT tunnel the certificate is the one of the
 * outer TLS, the connection's.
 *
 * <p>Thread-safe: the names are replaced as a whole by {@link #update} (reload).
 */
public final class AllowedClients implements AccessRule {
    private static final Logger LOG = LoggerFactory.getLogger(AllowedClients.class);

    private volatile Set<String> allowed;
    private final LongAdder refused = new LongAdder();
    private final LogThrottle lines = new LogThrottle(Duration.ofSeconds(1));

    public AllowedClients(List<String> names) {
        update(names);
    }

    /** Replaces the allowed names; empty allows every verified certificate. */
    public void update(List<String> names) {
        allowed = names.stream().map(n -> n.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** Requests refused so far. */
    public long refused() {
        return refused.sum();
    }

    @Override
    public RelayError check(RelayRequest request, Downstream downstream) {
        Set<String> names = allowed;
        if (names.isEmpty()) {
            return null;
        }
        X509Certificate certificate = downstream.clientCertificate();
        List<String> presented = ClientNames.of(certificate);
        for (String name : presented) {
            if (names.contains(name)) {
                return null;
            }
        }
        refused.increment();
        if (LOG.isInfoEnabled()) {
            String what = certificate == null ? "no client certificate"
                    : "certificate " + AccessLog.safe(String.join(", ", presented));
            long held = lines.due(what);
            if (held != LogThrottle.HOLD) {
                LOG.info("client {} refused: {} names none of allow-clients ({}){}", downstream, what,
                        String.join(", ", names.stream().sorted().toList()), LogThrottle.more(held));
            }
        }
        return RelayError.CLIENT_NOT_ALLOWED;
    }
}
