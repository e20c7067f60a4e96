package io.pushrelay.post;

import io.pushrelay.core.testing.TestTls;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
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
import javax.net.ssl.SSLSocketFactory;

/**
 * Byte-level HTTP/1.1 over real sockets, for what curl will not send (smuggling shapes,
 * pipelines, a request for another host inside a tunnel) and for reading exactly what the relay
 * wrote. A {@link Conn} buffers its input; close it (try-with-resources).
 */
final class RawHttp {
    private RawHttp() {
    }

    /** One connection: its socket and a buffered reader of it. */
    static final class Conn implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        Conn(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 64 << 10);
            this.out = socket.getOutputStream();
        }

        void send(String text) throws IOException {
            send(text.getBytes(StandardCharsets.ISO_8859_1));
        }

        void send(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
        }

        /** One response framed by Content-Length (or none: a CONNECT's 200), head and body. */
        String readResponse() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    throw new AssertionError("closed inside a response head: " + head.toString(StandardCharsets.ISO_8859_1));
                }
                head.write(b);
                matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            int length = 0;
            for (String line : text.split("\r\n")) {
                if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return text + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
        }

        /** Everything until the peer closes (a reset counts as closed); fails on the socket's timeout. */
        String readToEnd() throws IOException {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    all.write(buffer, 0, n);
                }
            } catch (SocketTimeoutException e) {
                throw new AssertionError("not closed; got so far: " + all.toString(StandardCharsets.ISO_8859_1), e);
            } catch (SocketException e) {
                // A reset after the answer: closed.
            }
            return all.toString(StandardCharsets.ISO_8859_1);
        }

        /** True when the peer closed (EOF or reset) without sending a byte, within the timeout. */
        boolean closedWithoutAByte() throws IOException {
            try {
                return in.read() < 0;
            } catch (SocketTimeoutException e) {
                return false;
            } catch (SocketException e) {
                return true;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** A TCP connection from {@code source} (null: any) to 127.0.0.1:{@code port}. */
    static Conn plain(int port, String source) throws IOException {
        Socket socket = new Socket();
        if (source != null) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(5000);
        return new Conn(socket);
    }

    /** TLS to 127.0.0.1:{@code port} trusting {@code ca}, SNI and name check {@code host}, handshake done. */
    static Conn tls(int port, Path ca, Path clientP12, String host, String... alpn) throws IOException {
        SSLSocket socket = (SSLSocket) TestTls.context(ca, clientP12).getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout(5000);
        configure(socket, host, alpn);
        socket.startHandshake();
        return new Conn(socket);
    }

    /**
     * {@code CONNECT target} on {@code outer}, its {@code 200}, then TLS inside trusting {@code ca}
     * with SNI and name check {@code host}. Returns the inner connection.
     */
    static Conn tunnel(Conn outer, String target, Path ca, String host, String... alpn) throws IOException {
        outer.send("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n");
        String answer = outer.readResponse();
        if (!answer.startsWith("HTTP/1.1 200 ")) {
            throw new AssertionError("CONNECT " + target + " refused: " + answer);
        }
        SSLSocketFactory factory = TestTls.context(ca, null).getSocketFactory();
        SSLSocket inner = (SSLSocket) factory.createSocket(outer.socket, host, 443, true);
        inner.setSoTimeout(5000);
        configure(inner, host, alpn);
        inner.startHandshake();
        return new Conn(inner);
    }

    private static void configure(SSLSocket socket, String host, String... alpn) {
        SSLParameters params = socket.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        params.setServerNames(List.of(new SNIHostName(host)));
        if (alpn.length > 0) {
            params.setApplicationProtocols(alpn);
        }
        socket.setSSLParameters(params);
    }

    /** A POST to the device path with a JSON body; {@code extraHeaders} lines end in CRLF. */
    static String post(String host, String token, String apnsId, String authorization, String extraHeaders) {
        String body = PostTestbed.payload();
        return "POST /3/device/" + token + " HTTP/1.1\r\nHost: " + host + "\r\napns-topic: " + PostTestbed.TOPIC
                + "\r\napns-id: " + apnsId + "\r\nauthorization: " + authorization + "\r\n" + extraHeaders
                + "Content-Length: " + body.length() + "\r\n\r\n" + body;
    }
}
