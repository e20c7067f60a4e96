package io.pushrelay.core.listener;

import static io.pushrelay.core.listener.PipelineNames.ALPN;
import static io.pushrelay.core.listener.PipelineNames.ERRORS;
import static io.pushrelay.core.listener.PipelineNames.H1;
import static io.pushrelay.core.listener.PipelineNames.H1_DECODER;
import static io.pushrelay.core.listener.PipelineNames.H1_ENCODER;
import static io.pushrelay.core.listener.PipelineNames.IDLE;
import static io.pushrelay.core.listener.PipelineNames.TLS;
import static io.pushrelay.core.listener.PipelineNames.TUNNEL_SNI;
import static io.pushrelay.core.listener.PipelineNames.TUNNEL_TLS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.policy.Policy;
import io.pushrelay.core.policy.RouteTable;
import io.pushrelay.core.testing.ApnsLikeUpstream;
import io.pushrelay.core.testing.TestPki;
import io.pushrelay.core.testing.TestTls;
import io.pushrelay.core.transport.Transports;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CONNECT tunnels terminated by a TLS listener, and the connection gate, over real sockets:
 * the pipeline through each step ({@link PipelineNames}), the inner TLS with the listener's
 * certificate chosen by the inner SNI, requests inside carrying the tunnel's target, and a gate
 * that closes connections before a byte is read.
 */
class RelayListenerTunnelTest {
    private static final String GOOD = "POST /3/device/abcd HTTP/1.1\r\nHost: api.push.apple.com\r\n"
            + "apns-topic: t\r\nContent-Length: 2\r\n\r\n{}";

    private static List<String> settled(RelayFixture relay, List<String> expected) throws Exception {
        List<String> names = List.of();
        for (int i = 0; i < 200 && !names.equals(expected); i++) {
            try {
                names = relay.pipelineNames();
            } catch (AssertionError e) {
                names = List.of(e.getMessage());
            }
            if (!names.equals(expected)) {
                Thread.sleep(20);
            }
        }
        return names;
    }

    /** TLS inside {@code outer} to {@code host}, trusting the fixture's CA. */
    private static SSLSocket inner(RelayFixture relay, Socket outer, String host, String... alpn) throws Exception {
        SSLSocket inner = (SSLSocket) TestTls.trusting(relay.caPem()).getSocketFactory()
                .createSocket(outer, host, 443, true);
        inner.setSoTimeout(5000);
        SSLParameters params = inner.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        params.setServerNames(List.of(new SNIHostName(host)));
        if (alpn.length > 0) {
            params.setApplicationProtocols(alpn);
        }
        inner.setSSLParameters(params);
        inner.startHandshake();
        return inner;
    }

    @Test
    void connectShouldBecomeATerminatedTunnelWithItsOwnPipeline(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir);
             SSLSocket outer = RawClient.tls(relay.port(), relay.caPem(), null, "api.push.apple.com", "http/1.1")) {
            RawClient.send(outer, "CONNECT api.push.apple.com:443 HTTP/1.1\r\nHost: api.push.apple.com:443\r\n\r\n");
            assertEquals("HTTP/1.1 200 OK\r\n\r\n", RawClient.readResponse(outer));
            List<String> waiting = List.of(IDLE, TLS, TUNNEL_SNI, ALPN, ERRORS);
            assertEquals(waiting, settled(relay, waiting), "200 written, no inner byte yet");
            try (SSLSocket inner = inner(relay, outer, "api.sandbox.push.apple.com", "http/1.1")) {
                assertTrue(inner.getSession().getPeerCertificates()[0].toString().contains("api.sandbox.push.apple.com"));
                RawClient.send(inner, GOOD);
                String answer = RawClient.readResponse(inner);
                assertTrue(answer.startsWith("HTTP/1.1 200 OK\r\n"), answer);
                List<String> expected = List.of(IDLE, TLS, TUNNEL_TLS, H1_DECODER, H1_ENCODER, H1, ERRORS);
                assertEquals(expected, settled(relay, expected));
            }
            assertEquals(1, relay.listener.counters().tunnels());
            assertEquals(1, relay.upstream.seen().size());
            assertEquals("api.push.apple.com", relay.upstream.seen().get(0).authority());
            assertEquals("https", relay.upstream.seen().get(0).scheme());
        }
    }

    @Test
    void connectInsideATunnelShouldBeRefused(@TempDir Path dir) throws Exception {
        try (RelayFixture relay = RelayFixture.tls(dir);
             SSLSocket outer = RawClient.tls(relay.port(), relay.caPem(), null, "api.push.apple.com", "http/1.1")) {
            RawClient.send(outer, "CONNECT api.push.apple.com:443 HTTP/1.1\r\nHost: api.push.apple.com:443\r\n\r\n");
            assertEquals("HTTP/1.1 200 OK\r\n\r\n", RawClient.readResponse(outer));
            try (SSLSocket inner = inner(relay, outer, "api.push.apple.com", "http/1.1")) {
                RawClient.send(inner, "CONNECT api.push.apple.com:443 HTTP/1.1\r\nHost: api.push.apple.com:443\r\n\r\n");
                String answer = RawClient.readToEnd(inner);
                assertTrue(answer.startsWith("HTTP/1.1 405 Method Not Allowed\r\n"), answer);
            }
            assertEquals(1, relay.listener.counters().tunnels());
        }
    }

    @Test
    void gateShouldCloseRefusedConnectionsBeforeAnyByteAndHearOfEveryAdmittedClose(@TempDir Path dir)
            throws Exception {
        TestPki pki = TestPki.create(dir.resolve("pki"), "gate CA");
        TestPki.LeafFiles server = pki.server("relay", "api.push.apple.com");
        List<String> events = new CopyOnWriteArrayList<>();
        ConnectionGate gate = new ConnectionGate() {
            private int admitted;

            @Override
            public synchronized boolean admit(InetSocketAddress remote) {
                events.add("admit " + remote.getAddress().getHostAddress());
                return admitted++ == 0;
            }

            @Override
            public void closed(InetSocketAddress remote) {
                events.add("closed " + remote.getAddress().getHostAddress());
            }
        };
        EventLoopGroup boss = Transports.newGroup("gate-boss", 1);
        EventLoopGroup workers = Transports.newGroup("gate-io", 1);
        try (ApnsLikeUpstream upstream = new ApnsLikeUpstream();
             RelayListener listener = RelayListener.bind(ListenerConfig.tls("gate",
                     new InetSocketAddress("127.0.0.1", 0), TlsConfig.of(server.chain(), server.key())), boss, workers,
                     new Forwarder(new Policy(RouteTable.defaults(false)), upstream), gate)) {
            int port = listener.localAddress().getPort();
            try (SSLSocket first = RawClient.tls(port, pki.caPem(), null, "api.push.apple.com", "http/1.1")) {
                try (Socket second = RawClient.plain(port)) {
                    assertTrue(RawClient.closedByPeer(second), "refused: closed with nothing written");
                }
                RawClient.send(first, GOOD);
                assertTrue(RawClient.readResponse(first).startsWith("HTTP/1.1 200 OK\r\n"));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (events.size() < 3 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(List.of("admit 127.0.0.1", "admit 127.0.0.1", "closed 127.0.0.1"), new ArrayList<>(events));
            assertEquals(1, listener.counters().gateRefused());
            assertEquals(1, listener.counters().accepted());
        } finally {
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
