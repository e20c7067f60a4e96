package io.pushrelay.pre.e2e;

import com.eatthepath.pushy.apns.auth.ApnsVerificationKey;
import com.eatthepath.pushy.apns.server.MockApnsServer;
import com.eatthepath.pushy.apns.server.MockApnsServerBuilder;
import com.eatthepath.pushy.apns.server.MockApnsServerListener;
import com.eatthepath.pushy.apns.server.PushNotificationHandler;
import com.eatthepath.pushy.apns.server.PushNotificationHandlerFactory;
import com.eatthepath.pushy.apns.server.RejectionReason;
import com.eatthepath.pushy.apns.server.ValidatingPushNotificationHandlerFactory;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http2.Http2Headers;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Pushy's {@link MockApnsServer} as "Apple": validating like APNS
 * ({@link ValidatingPushNotificationHandlerFactory} with the device tokens of one topic, the
 * provider's verification key, and, when asked, client certificates of one CA), on a
 * certificate for {@code api.push.apple.com} from the scenario's second CA. It records what it
 * saw, per notification, as a {@link Notifications#digest digest} of the headers that matter and
 * the payload, keyed by {@code apns-id}; counts rejections by reason and the TLS connections it
 * took (with the client-certificate subject each presented, if any).
 */
public final class MockApns implements AutoCloseable {
    private final MockApnsServer server;
    private final int port;
    private final ConcurrentMap<String, String> accepted = new ConcurrentHashMap<>();
    private final LongAdder acceptedCount = new LongAdder();
    private final LongAdder acceptedWithoutId = new LongAdder();
    private final LongAdder acceptedWithAuthorization = new LongAdder();
    private final ConcurrentMap<String, AtomicInteger> rejected = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, AtomicInteger> duplicates = new ConcurrentHashMap<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<String> clientSubjects = java.util.Collections.synchronizedList(new ArrayList<>());

    /**
     * Starts on a free port (all interfaces).
     *
     * @param tokens        the device tokens registered for {@link E2ePki#TOPIC}
     * @param alpn          offer ALPN h2 (curl and Go need it; Pushy's client does not)
     * @param trustClientCa when not null, request client certificates and trust this CA's
     */
    public static MockApns start(E2ePki pki, Set<String> tokens, boolean alpn, Path trustClientCa) throws Exception {
        return new MockApns(pki, tokens, alpn, trustClientCa);
    }

    private MockApns(E2ePki pki, Set<String> tokens, boolean alpn, Path trustClientCa) throws Exception {
        ApnsVerificationKey key = new ApnsVerificationKey(E2ePki.KEY_ID, E2ePki.TEAM, pki.verificationKey());
        ValidatingPushNotificationHandlerFactory validating = new ValidatingPushNotificationHandlerFactory(
                Map.of(E2ePki.TOPIC, Set.copyOf(tokens)), Map.of(), Map.of(E2ePki.KEY_ID, key),
                Map.of(key, Set.of(E2ePki.TOPIC)));
        PushNotificationHandlerFactory counting = new PushNotificationHandlerFactory() {
            @Override
            public PushNotificationHandler buildHandler(SSLSession session) {
                // Called once per connection, after its TLS handshake.
                connections.incrementAndGet();
                try {
                    clientSubjects.add(session.getPeerPrincipal().getName());
                } catch (SSLPeerUnverifiedException e) {
                    clientSubjects.add("-");
                }
                return validating.buildHandler(session);
            }
        };
        MockApnsServerBuilder builder = new MockApnsServerBuilder()
                .setServerCredentials(pki.apnsCert().toFile(), pki.apnsKey().toFile(), null)
                .setHandlerFactory(counting)
                .setListener(new Listener())
                .setUseAlpn(alpn);
        if (trustClientCa != null) {
            builder.setTrustedClientCertificateChain(trustClientCa.toFile());
        }
        this.server = builder.build();
        this.port = server.start(0).get(10, TimeUnit.SECONDS);
    }

    private final class Listener implements MockApnsServerListener {
        @Override
        public void handlePushNotificationAccepted(Http2Headers headers, ByteBuf payload) {
            acceptedCount.increment();
            CharSequence id = headers.get("apns-id");
            if (id == null) {
                acceptedWithoutId.increment();
            } else if (accepted.putIfAbsent(id.toString().toLowerCase(java.util.Locale.ROOT),
                    Notifications.digest(headers, payload == null ? new byte[0] : ByteBufUtil.getBytes(payload))) != null) {
                duplicates.computeIfAbsent(id.toString(), k -> new AtomicInteger()).incrementAndGet();
            }
            if (headers.contains("authorization")) {
                acceptedWithAuthorization.increment();
            }
        }

        @Override
        public void handlePushNotificationRejected(Http2Headers headers, ByteBuf payload, RejectionReason reason,
                                                   Instant expiration) {
            rejected.computeIfAbsent(apnsReason(reason), k -> new AtomicInteger()).incrementAndGet();
        }
    }

    /** {@code BAD_DEVICE_TOKEN} -> {@code BadDeviceToken}, as APNS writes it. */
    static String apnsReason(RejectionReason reason) {
        StringBuilder out = new StringBuilder();
        for (String word : reason.name().split("_")) {
            out.append(word.charAt(0)).append(word.substring(1).toLowerCase(java.util.Locale.ROOT));
        }
        return out.toString();
    }

    public int port() {
        return port;
    }

    /** Digest per {@code apns-id} (lower case) of every accepted notification. */
    public Map<String, String> accepted() {
        return accepted;
    }

    public long acceptedCount() {
        return acceptedCount.sum();
    }

    public long acceptedWithoutId() {
        return acceptedWithoutId.sum();
    }

    public long acceptedWithAuthorization() {
        return acceptedWithAuthorization.sum();
    }

    /** Rejections by APNS reason. */
    public Map<String, Integer> rejected() {
        Map<String, Integer> out = new TreeMap<>();
        rejected.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** {@code apns-id}s accepted more than once, with the extra count. */
    public Map<String, Integer> duplicates() {
        Map<String, Integer> out = new TreeMap<>();
        duplicates.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** TLS connections that reached the h2 handler. */
    public int connections() {
        return connections.get();
    }

    /** Per connection, the client certificate's subject, or {@code -} when none was presented. */
    public List<String> clientSubjects() {
        synchronized (clientSubjects) {
            return List.copyOf(clientSubjects);
        }
    }

    @Override
    public void close() throws Exception {
        server.shutdown().get(10, TimeUnit.SECONDS);
    }
}
