package io.pushrelay.core.listener;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import io.pushrelay.core.testing.TestTls;

/** Raw sockets for the shapes no well-behaved client sends. */
final class RawClient {
    private RawClient() {
    }

    static Socket plain(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(5000);
        return socket;
    }

    /** A TLS socket, handshake done; {@code alpn} empty offers no ALPN; {@code sni} null sends none. */
    static SSLSocket tls(int port, Path caPem, Path clientP12, String sni, String... alpn) throws IOException {
        SSLSocket socket = (SSLSocket) TestTls.context(caPem, clientP12).getSocketFactory()
                .createSocket("127.0.0.1", port);
        socket.setSoTimeout(5000);
        SSLParameters params = socket.getSSLParameters();
        params.setEndpointIdentificationAlgorithm(sni == null ? null : "HTTPS");
        params.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
        if (alpn.length > 0) {
            params.setApplicationProtocols(alpn);
        }
        socket.setSSLParameters(params);
        socket.startHandshake();
        return socket;
    }

    static void send(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }

    /** Everything until the peer closes (a reset counts as closed); fails on timeout. */
    static String readToEnd(Socket socket) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                out.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("not closed; got so far: " + out.toString(StandardCharsets.ISO_8859_1), e);
        } catch (SocketException e) {
            // Reset after the answer: closed.
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    /** Reads one HTTP/1.1 response framed by Content-Length (head and body). */
    static String readResponse(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("closed inside a response head: " + head);
            }
            head.write(b);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        int length = 0;
        for (String line : text.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return text + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
    }

    /** True when the peer closed (EOF or reset) within the socket's timeout. */
    static boolean closedByPeer(Socket socket) throws IOException {
        try {
            return socket.getInputStream().read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true;
        }
    }
}
