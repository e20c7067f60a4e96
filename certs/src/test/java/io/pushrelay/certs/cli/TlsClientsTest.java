package io.pushrelay.certs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real TLS clients from outside the project (curl, the JDK HttpClient, Go's net/http) against
 * a loopback HTTPS server presenting a certificate from {@code certs server create}; each must
 * get the HTTP answer, not just finish a handshake. And Go and curl must refuse a certificate
 * the CA key signed outside its name constraints; Go's verifier must take the client
 * certificates (URI SAN and permitted DNS SAN) that a Go mTLS server would.
 */
class TlsClientsTest {
    private static final String HOST = "api.push.apple.com";

    @TempDir
    static Path root;

    static Path ca;
    static Path caPem;
    static Path serverPem;
    static GoProgram go;

    @BeforeAll
    static void pki() throws Exception {
        ca = TestPki.ca(root, "ca");
        caPem = ca.resolve("ca.pem");
        serverPem = TestPki.server(ca, root.resolve("tls"), HOST);
        go = GoProgram.build(root.resolve("go"));
    }

    @Test
    void curlShouldGetAnAnswerFromServerWithIssuedCertificate() throws Exception {
        String curl = Programs.require("curl");
        try (HttpsPeer peer = new HttpsPeer(serverPem)) {
            Programs.Result result = Programs.run(root, List.of(curl, "-sS", "--max-time", "10",
                    "--cacert", caPem.toString(), "--resolve", HOST + ":" + peer.port() + ":127.0.0.1",
                    "-w", "\n%{http_code}", "https://" + HOST + ":" + peer.port() + "/3/device/x"));
            assertEquals(0, result.code(), result::toString);
            assertEquals(HttpsPeer.BODY + "\n200", result.out());
        }
    }

    @Test
    void jdkHttpClientShouldGetAnAnswerThroughConnectTunnel() throws Exception {
        try (HttpsPeer peer = new HttpsPeer(serverPem); ConnectProxy proxy = new ConnectProxy(peer.port())) {
            HttpClient client = HttpClient.newBuilder()
                    .sslContext(TestPki.context(null, caPem))
                    .proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", proxy.port())))
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(URI.create("https://" + HOST + "/3/device/x"))
                            .timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            assertEquals(HttpsPeer.BODY, response.body());
            assertEquals(List.of(HOST + ":443"), proxy.authorities, "the client verified " + HOST + ", not 127.0.0.1");
        }
    }

    @Test
    void jdkHttpClientShouldRefuseServerForAnotherName() throws Exception {
        try (HttpsPeer peer = new HttpsPeer(serverPem); ConnectProxy proxy = new ConnectProxy(peer.port())) {
            HttpClient client = HttpClient.newBuilder()
                    .sslContext(TestPki.context(null, caPem))
                    .proxy(ProxySelector.of(new InetSocketAddress("127.0.0.1", proxy.port())))
                    .version(HttpClient.Version.HTTP_1_1)
                    .build();
            assertThrows(SSLHandshakeException.class, () -> client.send(
                    HttpRequest.newBuilder(URI.create("https://fcm.googleapis.com/")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
    }

    @Test
    void goClientShouldGetAnAnswerWithSslCertFile() throws Exception {
        try (HttpsPeer peer = new HttpsPeer(serverPem)) {
            Programs.Result result = go.get("https://" + HOST + "/3/device/x", peer.port(), caPem);
            assertEquals(0, result.code(), result::toString);
            assertEquals("200 " + HttpsPeer.BODY, result.out());
        }
    }

    @Test
    void certificateOutsideConstraintsShouldBeRefusedByGo() throws Exception {
        Path forged = TestPki.forge(ca, root.resolve("forged-go"), "www.example.com");
        try (HttpsPeer peer = new HttpsPeer(forged)) {
            Programs.Result result = go.get("https://www.example.com/", peer.port(), caPem);
            assertEquals(1, result.code(), result::toString);
            assertTrue(result.err().contains("not authorized to sign for this name")
                    || result.err().contains("not permitted"), result::toString);
        }
    }

    @Test
    void certificateOutsideConstraintsShouldBeRefusedByCurl() throws Exception {
        String curl = Programs.require("curl");
        Path forged = TestPki.forge(ca, root.resolve("forged-curl"), "www.example.com");
        try (HttpsPeer peer = new HttpsPeer(forged)) {
            Programs.Result result = Programs.run(root, List.of(curl, "-sS", "--max-time", "10",
                    "--cacert", caPem.toString(), "--resolve", "www.example.com:" + peer.port() + ":127.0.0.1",
                    "https://www.example.com:" + peer.port() + "/"));
            assertNotEquals(0, result.code(), result::toString);
            assertTrue(result.err().contains("permitted subtree violation"), result::toString);
        }
    }

    @Test
    void oneLabelAndDottedClientCertsShouldPassGoVerifierForClientAuth() {
        Path permitting = TestPki.ca(root, "ca-permitting", "--permit", "relay.example.net");
        Path out = root.resolve("clients");
        Cli.ok("client", "create", "--ca", permitting.toString(), "--out", out.toString(), "--name", "relay-pre");
        Cli.ok("client", "create", "--ca", permitting.toString(), "--out", out.toString(), "--name", "pre.relay.example.net");
        for (String name : List.of("relay-pre", "pre.relay.example.net")) {
            Programs.Result result = go.verify(permitting.resolve("ca.pem"), out.resolve(name + ".pem"), "client");
            assertEquals(0, result.code(), result::toString);
            assertEquals("OK\n", result.out());
        }
        Programs.Result asServer = go.verify(permitting.resolve("ca.pem"), out.resolve("relay-pre.pem"), "server");
        assertEquals(1, asServer.code(), asServer::toString);
        assertTrue(asServer.err().contains("incompatible key usage"), asServer::toString);
    }
}
