package io.pushrelay.post.policy;

import io.pushrelay.core.config.PostConfig;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.policy.Policy;

/**
 * Everything relay-post refuses, from its config, in the order it is checked:
 *
 * <ol>
 *   <li>at accept ({@link SourceGate}): the source address ({@code allow-sources}; closed), the
 *       connections one client has open ({@code max-connections-per-client}; closed), and the
 *       listener's own {@code max-connections};</li>
 *   <li>in the TLS handshake (the listener, with {@code client-ca}): no client certificate, or one
 *       another CA signed (TLS alert, closed);</li>
 *   <li>per request or CONNECT, who asks: the certificate's names ({@link AllowedClients}; 403
 *       RelayClientNotAllowed), then the rate ({@link RateLimit}; 429 RelayTooManyRequests);</li>
 *   <li>where to: an authority without a route (403 RelayDestinationNotAllowed: relay-post is
 *       never an open proxy, whatever the request form), a CONNECT port other than 443 or the
 *       route's (403 RelayPortNotAllowed), a request inside a tunnel for another host (421);</li>
 *   <li>what: the route's methods (405), paths (404 BadPath) and body limit (413).</li>
 * </ol>
 *
 * Holds the stateful parts (connection counts, token buckets) so that a reload keeps them.
 * Thread-safe.
 */
public final class Restrictions {
    private final SourceGate gate;
    private final AllowedClients clients;
    private final RateLimit rate;

    private Restrictions(SourceGate gate, AllowedClients clients, RateLimit rate) {
        this.gate = gate;
        this.clients = clients;
        this.rate = rate;
    }

    public static Restrictions from(PostConfig config) {
        return new Restrictions(new SourceGate(config.allowSources(), config.limits().maxConnectionsPerClient()),
                new AllowedClients(config.allowClients()), new RateLimit(config.limits().requestsPerSecondPerClient()));
    }

    /** The policy of {@code config}'s routes with these restrictions. */
    public Policy policy(PostConfig config) {
        return new Policy(config.routeTable())
                .withNoRouteError(RelayError.DESTINATION_NOT_ALLOWED)
                .withAccessRule(clients)
                .withAccessRule(rate);
    }

    /** Takes {@code config}'s sources, names and limits; counts and buckets stay. */
    public void update(PostConfig config) {
        gate.update(config.allowSources(), config.limits().maxConnectionsPerClient());
        clients.update(config.allowClients());
        rate.update(config.limits().requestsPerSecondPerClient());
    }

    public SourceGate gate() {
        return gate;
    }

    public AllowedClients clients() {
        return clients;
    }

    public RateLimit rate() {
        return rate;
    }
}
