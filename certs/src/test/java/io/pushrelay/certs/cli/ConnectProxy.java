package io.pushrelay.certs.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An HTTP CONNECT proxy on 127.0.0.1, port 0, that sends every tunnel to one local port,
 * whatever authority was asked for. It lets a client that resolves names itself (the JDK
 * HttpClient) reach a loopback server while verifying the certificate against the real
 * gateway name. Records the CONNECT targets; closes every socket on close.
 */
final class ConnectProxy implements AutoCloseable {
    private final ServerSocket socket;
    private final int targetPort;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    final List<String> authorities = new CopyOnWriteArrayList<>();

    ConnectProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        socket = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::serve, "connect-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    private void serve() {
        while (!socket.isClosed()) {
            try {
                Socket downstream = socket.accept();
                open.add(downstream);
                String head = readHead(downstream.getInputStream());
                String[] requestLine = head.split("\r\n", 2)[0].split(" ");
                if (requestLine.length < 2 || !requestLine[0].equals("CONNECT")) {
                    downstream.getOutputStream().write("HTTP/1.1 405 Method Not Allowed\r\n\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    downstream.close();
                    continue;
                }
                authorities.add(requestLine[1]);
                Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                open.add(upstream);
                downstream.getOutputStream().write("HTTP/1.1 200 Connection established\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                pump(downstream, upstream);
                pump(upstream, downstream);
            } catch (IOException e) {
                return;
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            head.write(b);
            byte[] bytes = head.toByteArray();
            int n = bytes.length;
            if (n >= 4 && bytes[n - 4] == '\r' && bytes[n - 3] == '\n' && bytes[n - 2] == '\r' && bytes[n - 1] == '\n') {
                break;
            }
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static void pump(Socket from, Socket to) {
        Thread thread = new Thread(() -> {
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
            } catch (IOException e) {
                // one side closed; closing both ends the tunnel
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "connect-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
        for (Socket s : open) {
            closeQuietly(s);
        }
    }
}
