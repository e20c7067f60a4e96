package io.pushrelay.core.sim;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * How an {@link ApnsSimulator} behaves. Immutable; made with {@link #builder(ServerIdentity)}.
 *
 * @param listen                     where to listen ({@code 127.0.0.1:0} by default)
 * @param identity                   the TLS certificate chain and key it presents
 * @param clientCa                   when not empty, a client certificate from one of these CAs is
 *                                   required (APNS certificate-based auth)
 * @param certificateTopic           with a client certificate, the topic used when a request has no
 *                                   {@code apns-topic} (a single-topic certificate); null: the
 *                                   certificate subject's UID when present, else {@code MissingTopic}
 * @param tokenAuth                  require {@code authorization: bearer <JWT>} (token-based auth)
 * @param tokenKeys                  when not empty, JWT signatures are verified with these (by
 *                                   {@code kid}, and {@code iss} must be the key's team); when
 *                                   empty, tokens are parsed but not verified
 * @param unregisteredTokens         device tokens (lower-case hex) answered 410 {@code Unregistered},
 *                                   with the instant used as {@code timestamp}
 * @param badTokens                  device tokens (lower-case hex) answered 400 {@code BadDeviceToken}
 * @param initialMaxConcurrentStreams SETTINGS_MAX_CONCURRENT_STREAMS on a new connection
 * @param maxConcurrentStreams       SETTINGS_MAX_CONCURRENT_STREAMS after the first answer (APNS
 *                                   starts at 1 and raises it); equal to the initial value: no change
 * @param answerDelay                how long each answer waits (zero: none)
 * @param goAwayAfterStreams         0, or send GOAWAY (NO_ERROR) when a connection's Nth stream
 *                                   arrives, naming it the last; answer it and earlier ones, then close
 * @param dropAfterStreams           0, or close the TCP connection (no answer, no GOAWAY, no TLS
 *                                   close_notify) when a connection's (N+1)th stream arrives
 * @param recordLimit                how many accepted notifications to keep in memory (the most
 *                                   recent), 0 for none
 * @param ioThreads                  event loop threads, 0 for one per core
 */
public record ApnsSimConfig(InetSocketAddress listen, ServerIdentity identity, List<X509Certificate> clientCa,
                            String certificateTopic, boolean tokenAuth, List<TokenKey> tokenKeys,
                            Map<String, Instant> unregisteredTokens, Set<String> badTokens,
                            int initialMaxConcurrentStreams, int maxConcurrentStreams, Duration answerDelay,
                            int goAwayAfterStreams, int dropAfterStreams, int recordLimit, int ioThreads) {
    /** APNS payload limit, bytes. */
    public static final int MAX_PAYLOAD = 4096;
    /** APNS payload limit for {@code apns-push-type: voip}, bytes. */
    public static final int MAX_VOIP_PAYLOAD = 5120;

    public ApnsSimConfig {
        if (listen == null) {
            throw new IllegalArgumentException("apns simulator: no listen address");
        }
        if (identity == null) {
            throw new IllegalArgumentException("apns simulator: no TLS identity (certificate and key)");
        }
        clientCa = List.copyOf(clientCa);
        tokenKeys = List.copyOf(tokenKeys);
        Map<String, Instant> unregistered = new LinkedHashMap<>();
        unregisteredTokens.forEach((token, at) -> unregistered.put(token.toLowerCase(Locale.ROOT), at));
        unregisteredTokens = Map.copyOf(unregistered);
        Set<String> bad = new HashSet<>();
        badTokens.forEach(token -> bad.add(token.toLowerCase(Locale.ROOT)));
        badTokens = Set.copyOf(bad);
        if (initialMaxConcurrentStreams < 1 || maxConcurrentStreams < 1) {
            throw new IllegalArgumentException("apns simulator: max concurrent streams must be at least 1");
        }
        if (answerDelay == null || answerDelay.isNegative()) {
            throw new IllegalArgumentException("apns simulator: answer delay must be zero or positive");
        }
        if (goAwayAfterStreams < 0 || dropAfterStreams < 0 || recordLimit < 0 || ioThreads < 0) {
            throw new IllegalArgumentException("apns simulator: negative count");
        }
    }

    public static Builder builder(ServerIdentity identity) {
        return new Builder(identity);
    }

    /**
     * A key that signs provider tokens: JWTs whose {@code kid} is {@code keyId} must carry
     * {@code iss} = {@code teamId} and verify with {@code key} (EC P-256).
     */
    public record TokenKey(String teamId, String keyId, PublicKey key) {
        public TokenKey {
            if (teamId == null || teamId.isEmpty() || keyId == null || keyId.isEmpty() || key == null) {
                throw new IllegalArgumentException("token key: team id, key id and key are required");
            }
        }

        /**
         * Reads a PEM {@code PUBLIC KEY} (e.g. {@code openssl ec -in AuthKey.p8 -pubout}).
         *
         * @throws IllegalArgumentException {@code read <file>: <cause>}
         */
        public static TokenKey fromPem(String teamId, String keyId, Path publicKeyPem) {
            String text;
            try {
                text = Files.readString(publicKeyPem, StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new IllegalArgumentException("read " + publicKeyPem + ": " + e.getMessage(), e);
            }
            int begin = text.indexOf("-----BEGIN PUBLIC KEY-----");
            int end = text.indexOf("-----END PUBLIC KEY-----");
            if (begin < 0 || end < begin) {
                throw new IllegalArgumentException("read " + publicKeyPem + ": no PEM PUBLIC KEY in file");
            }
            String base64 = text.substring(begin + "-----BEGIN PUBLIC KEY-----".length(), end).replaceAll("\\s", "");
            try {
                PublicKey key = KeyFactory.getInstance("EC")
                        .generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
                return new TokenKey(teamId, keyId, key);
            } catch (GeneralSecurityException | IllegalArgumentException e) {
                throw new IllegalArgumentException("read " + publicKeyPem + ": not an EC public key (" + e.getMessage()
                        + ")", e);
            }
        }
    }

    /** Builds an {@link ApnsSimConfig}; defaults: 127.0.0.1:0, no client certificate, no token auth,
     * 1000 concurrent streams from the start, no delay, no faults, nothing recorded. */
    public static final class Builder {
        private final ServerIdentity identity;
        private InetSocketAddress listen = new InetSocketAddress("127.0.0.1", 0);
        private final List<X509Certificate> clientCa = new ArrayList<>();
        private String certificateTopic;
        private boolean tokenAuth;
        private final List<TokenKey> tokenKeys = new ArrayList<>();
        private final Map<String, Instant> unregistered = new LinkedHashMap<>();
        private final Set<String> badTokens = new HashSet<>();
        private int initialMaxStreams = 1000;
        private int maxStreams = 1000;
        private Duration answerDelay = Duration.ZERO;
        private int goAwayAfterStreams;
        private int dropAfterStreams;
        private int recordLimit;
        private int ioThreads;

        private Builder(ServerIdentity identity) {
            this.identity = identity;
        }

        public Builder listen(InetSocketAddress address) {
            this.listen = address;
            return this;
        }

        /** Require a client certificate issued by one of {@code cas}. */
        public Builder clientCa(List<X509Certificate> cas) {
            this.clientCa.addAll(cas);
            return this;
        }

        public Builder certificateTopic(String topic) {
            this.certificateTopic = topic;
            return this;
        }

        public Builder tokenAuth(boolean on) {
            this.tokenAuth = on;
            return this;
        }

        /** Verify provider tokens with this key; turns token auth on. */
        public Builder tokenKey(TokenKey key) {
            this.tokenKeys.add(key);
            this.tokenAuth = true;
            return this;
        }

        /** Answer 410 {@code Unregistered} for this device token, with {@code timestamp} = {@code since}. */
        public Builder unregistered(String token, Instant since) {
            this.unregistered.put(token, since);
            return this;
        }

        /** Answer 410 {@code Unregistered} for this device token, timestamp: now. */
        public Builder unregistered(String token) {
            return unregistered(token, Instant.now());
        }

        /** Answer 400 {@code BadDeviceToken} for this (well-formed) device token. */
        public Builder badToken(String token) {
            this.badTokens.add(token);
            return this;
        }

        /** The same SETTINGS_MAX_CONCURRENT_STREAMS for the connection's whole life. */
        public Builder maxConcurrentStreams(int streams) {
            this.initialMaxStreams = streams;
            this.maxStreams = streams;
            return this;
        }

        /** {@code initial} on a new connection, {@code raised} after the first answer (APNS: 1, then more). */
        public Builder maxConcurrentStreams(int initial, int raised) {
            this.initialMaxStreams = initial;
            this.maxStreams = raised;
            return this;
        }

        public Builder answerDelay(Duration delay) {
            this.answerDelay = delay;
            return this;
        }

        public Builder goAwayAfterStreams(int streams) {
            this.goAwayAfterStreams = streams;
            return this;
        }

        public Builder dropAfterStreams(int streams) {
            this.dropAfterStreams = streams;
            return this;
        }

        /** Keep the most recent {@code limit} accepted notifications (headers and payload) in memory. */
        public Builder recordAccepted(int limit) {
            this.recordLimit = limit;
            return this;
        }

        public Builder ioThreads(int threads) {
            this.ioThreads = threads;
            return this;
        }

        public ApnsSimConfig build() {
            return new ApnsSimConfig(listen, identity, clientCa, certificateTopic, tokenAuth, tokenKeys, unregistered,
                    badTokens, initialMaxStreams, maxStreams, answerDelay, goAwayAfterStreams, dropAfterStreams,
                    recordLimit, ioThreads);
        }
    }
}
