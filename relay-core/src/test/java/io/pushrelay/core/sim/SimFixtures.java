package io.pushrelay.core.sim;

import io.pushrelay.core.testing.ExternalProcess;
import io.pushrelay.core.testing.TestPki;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Shared test material: fresh PKI, P-256 keys, device tokens, curl. */
final class SimFixtures {
    private SimFixtures() {
    }

    /** A CA plus a server certificate for the APNS, FCM and OAuth names (and 127.0.0.1, ::1). */
    static Pki pki(Path dir) {
        TestPki pki = TestPki.create(dir, "sim test CA");
        TestPki.LeafFiles server = pki.server("server", "api.push.apple.com", "api.sandbox.push.apple.com",
                "fcm.googleapis.com", "oauth2.googleapis.com");
        return new Pki(pki, server, ServerIdentity.fromPem(server.chain(), server.key()));
    }

    record Pki(TestPki pki, TestPki.LeafFiles server, ServerIdentity identity) {
        Path caPem() {
            return pki.caPem();
        }
    }

    static KeyPair p256() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A well-formed 64-hex-digit device token, distinct per {@code i}. */
    static String token(int i) {
        return String.format(Locale.ROOT, "%064x", 0xA5A5_0000_0000L + i);
    }

    /** A JDK HTTP client trusting only {@code caPem}. */
    static java.net.http.HttpClient httpClient(Path caPem, java.net.http.HttpClient.Version version) {
        try {
            java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (var certificate : io.pushrelay.certs.Pem.readCertificates(caPem)) {
                trust.setCertificateEntry("ca" + i++, certificate);
            }
            String algorithm = javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm();
            javax.net.ssl.TrustManagerFactory factory = javax.net.ssl.TrustManagerFactory.getInstance(algorithm);
            factory.init(trust);
            javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return java.net.http.HttpClient.newBuilder().version(version).sslContext(context)
                    .connectTimeout(Duration.ofSeconds(5)).build();
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs curl (20 s at most) with {@code -sS}; the result holds its exit code and output. */
    static ExternalProcess.Result curl(String... args) {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "15"));
        command.addAll(List.of(args));
        return ExternalProcess.run(Duration.ofSeconds(20), Map.of(), command);
    }
}
