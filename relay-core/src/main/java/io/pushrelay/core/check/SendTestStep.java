package io.pushrelay.core.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.pushrelay.certs.CertsException;
import io.pushrelay.certs.Pem;
import io.pushrelay.core.config.PreConfig;
import io.pushrelay.core.config.RoleConfig;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.connect.ConnectorConfig;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.forward.RelayResponse;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import io.pushrelay.core.upstream.UpstreamConfig;
import io.pushrelay.core.upstream.UpstreamPool;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@code send-test} step: one real notification through the configured upstream path, the
 * relay's own {@link UpstreamPool} over its {@link Connector} (proxy, {@code CONNECT}, TLS, h2),
 * not through a running relay's listener: it works before the relay runs, and it tests the one
 * path the relay itself depends on. Prints the status, {@code apns-id} and reason. The device
 * token shows masked; the provider token never.
 */
final class SendTestStep {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> FIXES = Map.ofEntries(
            Map.entry("BadDeviceToken", "the token is not a device token of this gateway: a development token goes to"
                    + " api.sandbox.push.apple.com, a production one to api.push.apple.com (--authority)"),
            Map.entry("Unregistered", "the app is no longer registered on that device: use a current device token"),
            Map.entry("ExpiredToken", "the device token expired: use a current one"),
            Map.entry("DeviceTokenNotForTopic", "--topic must be the bundle id of the app that registered the token"),
            Map.entry("TopicDisallowed", "--topic must be an app your key or certificate may push to"),
            Map.entry("BadTopic", "--topic must be an app bundle id (com.example.app)"),
            Map.entry("MissingTopic", "give --topic, the app's bundle id"),
            Map.entry("InvalidProviderToken", "check --key-id, --team-id and the key file against your Apple developer"
                    + " account (Keys), and this host's clock (timedatectl)"),
            Map.entry("ExpiredProviderToken", "the provider token is over an hour old: sign a fresh one (--jwt-key)"
                    + " and check this host's clock (timedatectl)"),
            Map.entry("MissingProviderToken", "give --authorization-file or --jwt-key/--key-id/--team-id"),
            Map.entry("BadCertificate", "upstream.apns-client-cert is not a valid APNS certificate"),
            Map.entry("BadCertificateEnvironment", "the APNS certificate is for the other environment: use the"
                    + " sandbox gateway for a development certificate (--authority api.sandbox.push.apple.com)"),
            Map.entry("PayloadTooLarge", "--payload must be at most 4096 bytes"),
            Map.entry("PayloadEmpty", "give a non-empty --payload"),
            Map.entry("TooManyProviderTokenUpdates", "wait a minute and try again"),
            Map.entry("TooManyRequests", "wait a minute and try again"));

    private SendTestStep() {
    }

    static void run(RoleConfig config, SendTest test, NetworkStep.Outcome network, boolean networkSkipped,
                    EventLoopGroup group, CheckReport report) {
        if (config instanceof PreConfig pre && pre.via() != null) {
            report.skip(RoleCheck.SEND_TEST, "send-test: not from a chained relay-pre (via " + pre.via().url()
                    + "): relay-post sends to APNS; run the test there (push-relay post check --send-test)");
            return;
        }
        List<Route> routes = NetworkStep.orderedRoutes(config);
        Optional<Route> chosen = test.authority() == null
                ? routes.stream().filter(r -> r.kind() == RouteKind.APNS).findFirst()
                : routes.stream().filter(r -> r.authority().equalsIgnoreCase(test.authority())).findFirst();
        String known = String.join(", ", routes.stream().filter(r -> r.kind() == RouteKind.APNS).map(Route::authority).toList());
        if (chosen.isEmpty()) {
            report.fail(RoleCheck.SEND_TEST, "send-test: no APNS route" + (test.authority() == null ? "" : " for " + test.authority()),
                    known.isEmpty() ? "add an APNS route (routes:, --route)" : "give --authority one of: " + known);
            return;
        }
        Route route = chosen.get();
        String label = "send-test " + route.authority();
        if (network.ran() && !network.usable().contains(route.authority())) {
            report.skip(RoleCheck.SEND_TEST, label + ": skipped (the upstream is not usable, see above)");
            return;
        }
        String authorization;
        try {
            authorization = authorization(test);
        } catch (IllegalArgumentException | CertsException e) {
            report.fail(RoleCheck.SEND_TEST, label + ": " + e.getMessage(), test.jwtKey() != null
                    ? "give --jwt-key the APNS signing key (AuthKey_" + test.keyId() + ".p8, PKCS#8 PEM)"
                    : "give --authorization-file a readable file whose first line is the provider token");
            return;
        }
        if (authorization == null && config.upstream().apnsClientCert() == null) {
            report.fail(RoleCheck.SEND_TEST, label + ": no authorization",
                    "give --jwt-key AuthKey_KEYID.p8 --key-id KEYID --team-id TEAMID, or --authorization-file FILE, or set"
                            + " upstream.apns-client-cert for certificate-based auth");
            return;
        }
        ConnectorConfig connectorConfig;
        try {
            connectorConfig = NetworkStep.connectorConfig(config, authorization == null);
        } catch (NetworkStep.SetupException e) {
            report.fail(RoleCheck.SEND_TEST, label + ": " + e.getMessage(), e.fix);
            return;
        }
        String sent = " (token " + test.maskedToken() + ", topic " + test.topic()
                + (authorization == null ? ", certificate auth" : ", token auth") + ")";
        try (Connector connector = new Connector(connectorConfig);
             UpstreamPool pool = new UpstreamPool(connector, UpstreamConfig.defaults()
                     .withRequestTimeout(config.upstream().requestTimeout()), group)) {
            RelayResponse response = send(pool, route, test, authorization, config);
            try {
                String apnsId = header(response.headers(), "apns-id");
                String uniqueId = header(response.headers(), "apns-unique-id");
                String ids = (apnsId == null ? "" : ", apns-id " + apnsId) + (uniqueId == null ? "" : ", apns-unique-id " + uniqueId);
                if (response.status() == 200) {
                    report.pass(RoleCheck.SEND_TEST, label + ": 200" + ids + sent);
                } else {
                    String reason = reason(response);
                    report.fail(RoleCheck.SEND_TEST, label + ": " + response.status() + " " + reason + ids + sent,
                            fix(reason, response));
                }
            } finally {
                response.release();
            }
        } catch (TimeoutException e) {
            report.fail(RoleCheck.SEND_TEST, label + ": no answer in time" + sent,
                    "see the network lines above; raise upstream.request-timeout if the path is slow");
        } catch (IllegalArgumentException e) {
            report.fail(RoleCheck.SEND_TEST, label + ": " + e.getMessage(), "see the network lines above");
        }
    }

    private static RelayResponse send(UpstreamPool pool, Route route, SendTest test, String authorization,
                                      RoleConfig config) throws TimeoutException {
        Http2Headers headers = new DefaultHttp2Headers()
                .set("apns-topic", test.topic())
                .set("apns-push-type", test.pushType())
                .set("content-type", "application/json");
        if (authorization != null) {
            headers.set("authorization", authorization);
        }
        byte[] payload = test.payload().getBytes(StandardCharsets.UTF_8);
        ByteBuf body = ByteBufAllocator.DEFAULT.buffer(payload.length).writeBytes(payload);
        RelayRequest request = new RelayRequest("POST", "https", route.authority(), "/3/device/" + test.token(), headers,
                body, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), "check", System.nanoTime());
        CompletableFuture<RelayResponse> answer = new CompletableFuture<>();
        pool.send(route, request, response -> {
            if (!answer.complete(response)) {
                response.release();
            }
        });
        long waitMillis = config.upstream().requestTimeout().toMillis() + config.upstream().connectTimeout().toMillis() * 2
                + ConnectorConfig.DEFAULT_HANDSHAKE_TIMEOUT.toMillis() + 5_000;
        try {
            return answer.get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TimeoutException("interrupted");
        } catch (ExecutionException e) {
            throw new IllegalArgumentException(String.valueOf(e.getCause()), e.getCause());
        } catch (TimeoutException e) {
            // A late answer is released by the sink above once the pool closes.
            answer.completeExceptionally(e);
            throw e;
        }
    }

    /** {@code bearer <jwt>}, or null for certificate-based auth. */
    private static String authorization(SendTest test) {
        if (test.jwtKey() != null) {
            return "bearer " + ProviderTokens.sign(Pem.readPrivateKey(test.jwtKey(), null), test.keyId(), test.teamId(),
                    Instant.now());
        }
        if (test.authorizationFile() != null) {
            String line;
            try {
                String text = Files.readString(test.authorizationFile(), StandardCharsets.UTF_8);
                int nl = text.indexOf('\n');
                line = (nl < 0 ? text : text.substring(0, nl)).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException("--authorization-file " + test.authorizationFile() + ": cannot read ("
                        + e.getMessage() + ")");
            }
            if (line.isEmpty()) {
                throw new IllegalArgumentException("--authorization-file " + test.authorizationFile() + ": empty first line");
            }
            return line.toLowerCase(Locale.ROOT).startsWith("bearer ") ? "bearer " + line.substring(7).strip() : "bearer " + line;
        }
        return null;
    }

    private static String header(Http2Headers headers, String name) {
        CharSequence v = headers.get(name);
        return v == null ? null : v.toString();
    }

    private static String reason(RelayResponse response) {
        ByteBuf body = response.body();
        if (body.isReadable()) {
            try {
                JsonNode json = JSON.readTree(body.toString(StandardCharsets.UTF_8));
                if (json != null && json.hasNonNull("reason")) {
                    return json.get("reason").asText();
                }
            } catch (IOException e) {
                return "(no JSON reason)";
            }
        }
        return "(no reason)";
    }

    private static String fix(String reason, RelayResponse response) {
        if (response.error() != null) {
            return "the relay's own upstream path answered " + reason + " (" + response.error().flag()
                    + "): see the network lines above";
        }
        String known = FIXES.get(reason);
        return known != null ? known
                : "see Apple's \"Handling notification responses from APNs\" for " + reason;
    }
}
