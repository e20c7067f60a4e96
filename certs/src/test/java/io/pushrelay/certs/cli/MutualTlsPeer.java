package io.pushrelay.certs.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A TLS server on 127.0.0.1, port 0, that requires a client certificate issued by one CA
 * (JDK {@code needClientAuth}, truststore from ca.pem) and answers HTTP/1.1 with
 * {@code 200 hello <client subject>}. Records handshake failures. One thread accepts, one
 * connection at a time; everything is closed on close.
 */
final class MutualTlsPeer implements AutoCloseable {
    private final SSLServerSocket socket;
    private final Thread acceptor;
    final List<String> failures = new CopyOnWriteArrayList<>();

    MutualTlsPeer(Path chainPem, Path caPem) throws Exception {
        socket = (SSLServerSocket) TestPki.context(chainPem, caPem).getServerSocketFactory()
                .createServerSocket(0, 16, InetAddress.getLoopbackAddress());
        socket.setNeedClientAuth(true);
        acceptor = new Thread(this::serve, "mtls-peer");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    private void serve() {
        while (!socket.isClosed()) {
            try (SSLSocket connection = (SSLSocket) socket.accept()) {
                connection.setSoTimeout(10_000);
                try {
                    connection.startHandshake();
                    BufferedReader in = new BufferedReader(
                            new InputStreamReader(connection.getInputStream(), StandardCharsets.ISO_8859_1));
                    String line;
                    while ((line = in.readLine()) != null && !line.isEmpty()) {
                        // skip the request line and headers
                    }
                    X509Certificate client = (X509Certificate) connection.getSession().getPeerCertificates()[0];
                    byte[] body = ("hello " + client.getSubjectX500Principal().getName()).getBytes(StandardCharsets.UTF_8);
                    OutputStream out = connection.getOutputStream();
                    out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                            + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(body);
                    out.flush();
                } catch (IOException e) {
                    failures.add(String.valueOf(e));
                }
            } catch (SocketException closed) {
                return;
            } catch (IOException e) {
                failures.add(String.valueOf(e));
            }
        }
    }

    @Override
    public void close() throws Exception {
        socket.close();
        acceptor.join(5_000);
    }
}
