package io.pushrelay.core.sim;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * How an {@link FcmSimulator} behaves. Immutable; made with {@link #builder(ServerIdentity)}.
 *
 * @param listen              where to listen ({@code 127.0.0.1:0} by default)
 * @param identity            the TLS certificate chain and key it presents (name it
 *                            {@code fcm.googleapis.com} and {@code oauth2.googleapis.com}: one
 *                            simulator serves both)
 * @param projectIds          projects that may send; empty: any
 * @param requireIssuedTokens accept only bearer tokens its own {@code POST /token} issued (and not
 *                            yet expired); false: any non-empty bearer token
 * @param unregisteredTokens  registration tokens answered 404 {@code NOT_FOUND} / {@code UNREGISTERED}
 * @param invalidTokens       registration tokens answered 400 {@code INVALID_ARGUMENT}
 * @param answerDelay         how long each answer waits (zero: none)
 * @param recordLimit         how many accepted messages to keep in memory (the most recent), 0 for none
 * @param ioThreads           event loop threads, 0 for one per core
 */
public record FcmSimConfig(InetSocketAddress listen, ServerIdentity identity, Set<String> projectIds,
                           boolean requireIssuedTokens, Set<String> unregisteredTokens, Set<String> invalidTokens,
                           Duration answerDelay, int recordLimit, int ioThreads) {
    /** Request bodies larger than this are answered 413. */
    public static final int MAX_BODY = 65536;

    public FcmSimConfig {
        if (listen == null) {
            throw new IllegalArgumentException("fcm simulator: no listen address");
        }
        if (identity == null) {
            throw new IllegalArgumentException("fcm simulator: no TLS identity (certificate and key)");
        }
        projectIds = Set.copyOf(projectIds);
        unregisteredTokens = Set.copyOf(unregisteredTokens);
        invalidTokens = Set.copyOf(invalidTokens);
        if (answerDelay == null || answerDelay.isNegative()) {
            throw new IllegalArgumentException("fcm simulator: answer delay must be zero or positive");
        }
        if (recordLimit < 0 || ioThreads < 0) {
            throw new IllegalArgumentException("fcm simulator: negative count");
        }
    }

    public static Builder builder(ServerIdentity identity) {
        return new Builder(identity);
    }

    /** Builds an {@link FcmSimConfig}; defaults: 127.0.0.1:0, any project, any bearer token, no delay. */
    public static final class Builder {
        private final ServerIdentity identity;
        private InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 0);
        private final Set<String> projectIds = new LinkedHashSet<>();
        private boolean requireIssuedTokens;
        private final Set<String> unregistered = new LinkedHashSet<>();
        private final Set<String> invalid = new LinkedHashSet<>();
        private Duration answerDelay = Duration.ZERO;
        private int recordLimit;
        private int ioThreads;

        private Builder(ServerIdentity identity) {
            this.identity = identity;
        }

        public Builder listen(InetSocketAddress address) {
            this.listen = address;
            return this;
        }

        /** Allow this project (once one is given, only the listed ones may send). */
        public Builder project(String projectId) {
            this.projectIds.add(projectId);
            return this;
        }

        public Builder requireIssuedTokens(boolean on) {
            this.requireIssuedTokens = on;
            return this;
        }

        public Builder unregistered(String registrationToken) {
            this.unregistered.add(registrationToken);
            return this;
        }

        public Builder invalidToken(String registrationToken) {
            this.invalid.add(registrationToken);
            return this;
        }

        public Builder answerDelay(Duration delay) {
            this.answerDelay = delay;
            return this;
        }

        /** Keep the most recent {@code limit} accepted messages in memory. */
        public Builder recordAccepted(int limit) {
            this.recordLimit = limit;
            return this;
        }

        public Builder ioThreads(int threads) {
            this.ioThreads = threads;
            return this;
        }

        public FcmSimConfig build() {
            return new FcmSimConfig(listen, identity, projectIds, requireIssuedTokens, unregistered, invalid,
                    answerDelay, recordLimit, ioThreads);
        }
    }
}
