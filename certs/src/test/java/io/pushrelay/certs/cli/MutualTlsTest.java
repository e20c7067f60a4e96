package io.pushrelay.certs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS: a JDK server that requires a client certificate from our CA accepts the
 * client certificates {@code certs client create} makes (from the JDK with the .p12, from
 * curl with .pem and .key), and refuses one from another CA, even one of the same name.
 */
class MutualTlsTest {
    private static final String HOST = "api.push.apple.com";
    private static final String P12_PASSWORD = "p12 secret";

    @TempDir
    static Path root;

    static Path caPem;
    static Path serverPem;
    static Path clientDir;
    static Path strangerDir;

    @BeforeAll
    static void pki() throws Exception {
        Path ca = TestPki.ca(root, "ca");
        caPem = ca.resolve("ca.pem");
        clientDir = root.resolve("tls");
        Cli.ok("server", "create", "--ca", ca.toString(), "--out", clientDir.toString(),
                "--host", HOST, "--ip", "127.0.0.1");
        serverPem = clientDir.resolve("server.pem");
        Path password = Files.writeString(root.resolve("p12.pass"), P12_PASSWORD + "\n");
        Cli.ok("client", "create", "--ca", ca.toString(), "--out", clientDir.toString(), "--name", "relay-pre",
                "--p12-password-file", password.toString());
        // Another CA with the very same name: only the signature tells them apart.
        Path other = TestPki.ca(root, "other-ca");
        strangerDir = root.resolve("stranger");
        Cli.ok("client", "create", "--ca", other.toString(), "--out", strangerDir.toString(), "--name", "relay-pre",
                "--p12-password-file", password.toString());
    }

    @Test
    void clientCertFromToolShouldBeAcceptedByJdkServerRequiringClientAuth() throws Exception {
        try (MutualTlsPeer peer = new MutualTlsPeer(serverPem, caPem)) {
            String answer = jdkGet(clientDir.resolve("relay-pre.p12"), peer.port());
            assertTrue(answer.startsWith("HTTP/1.1 200 OK\r\n"), answer);
            assertTrue(answer.endsWith("\r\n\r\nhello CN=relay-pre,O=push-relay"), answer);
            assertEquals(List.of(), peer.failures);
        }
    }

    @Test
    void clientCertFromToolShouldBeAcceptedWhenCurlPresentsIt() throws Exception {
        String curl = Programs.require("curl");
        try (MutualTlsPeer peer = new MutualTlsPeer(serverPem, caPem)) {
            Programs.Result result = curl(curl, peer.port(), clientDir);
            assertEquals(0, result.code(), result::toString);
            assertEquals("hello CN=relay-pre,O=push-relay\n200", result.out());
        }
    }

    @Test
    void clientCertFromAnotherCaShouldBeRefusedByJdkServer() throws Exception {
        try (MutualTlsPeer peer = new MutualTlsPeer(serverPem, caPem)) {
            assertThrows(IOException.class, () -> jdkGet(strangerDir.resolve("relay-pre.p12"), peer.port()));
            awaitFailure(peer);
        }
    }

    @Test
    void clientCertFromAnotherCaShouldBeRefusedWhenCurlPresentsIt() throws Exception {
        String curl = Programs.require("curl");
        try (MutualTlsPeer peer = new MutualTlsPeer(serverPem, caPem)) {
            Programs.Result result = curl(curl, peer.port(), strangerDir);
            assertNotEquals(0, result.code(), result::toString);
            assertFalse(result.out().contains("hello"), result::toString);
            awaitFailure(peer);
        }
    }

    private static Programs.Result curl(String curl, int port, Path dir) {
        return Programs.run(root, List.of(curl, "-sS", "--max-time", "10", "--cacert", caPem.toString(),
                "--cert", dir.resolve("relay-pre.pem").toString(), "--key", dir.resolve("relay-pre.key").toString(),
                "--resolve", HOST + ":" + port + ":127.0.0.1", "-w", "\n%{http_code}",
                "https://" + HOST + ":" + port + "/"));
    }

    /** The JDK as a client: key and chain from the tool's .p12, trusting ca.pem, verifying 127.0.0.1. */
    private static String jdkGet(Path p12, int port) throws Exception {
        KeyStore keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            keyStore.load(in, P12_PASSWORD.toCharArray());
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(keyStore, P12_PASSWORD.toCharArray());
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(TestPki.trustStore(caPem));
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory()
                .createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            socket.setSSLParameters(parameters);
            socket.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + HOST + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            ByteArrayOutputStream answer = new ByteArrayOutputStream();
            socket.getInputStream().transferTo(answer);
            if (answer.size() == 0) {
                throw new IOException("connection closed without an answer");
            }
            return answer.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static void awaitFailure(MutualTlsPeer peer) throws InterruptedException {
        for (int i = 0; i < 100 && peer.failures.isEmpty(); i++) {
            Thread.sleep(50);
        }
        assertFalse(peer.failures.isEmpty(), "the server saw no failed handshake");
        // Same issuer name, other key: refused on the signature, not for a missing certificate.
        assertTrue(peer.failures.get(0).contains("signature check failed"), peer.failures.toString());
    }
}
