package io.pushrelay.core.testing;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * nghttpd (Debian's nghttp2-server) as an h2 upstream for tests: TLS with ALPN h2 on 127.0.0.1
 * and a free port, serving files from a folder; with {@code --echo-upload} it answers a request
 * that has a body with that body. Small flow-control windows and a low
 * SETTINGS_MAX_CONCURRENT_STREAMS are options. Fails (never skips) when nghttpd is missing;
 * {@link #close()} stops it.
 */
public final class Nghttpd implements Closeable {
    private static final Path NGHTTPD = Paths.get("/usr/sbin/nghttpd");

    private final ExternalProcess process;
    private final Path log;
    private final int port;
    private final Path docroot;

    private Nghttpd(ExternalProcess process, Path log, int port, Path docroot) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.docroot = docroot;
    }

    public static Builder builder(Path chainPem, Path keyPem, Path docroot) {
        return new Builder(chainPem, keyPem, docroot);
    }

    /** Options of an {@link Nghttpd}. */
    public static final class Builder {
        private final Path chain;
        private final Path key;
        private final Path docroot;
        private final List<String> options = new ArrayList<>();

        private Builder(Path chain, Path key, Path docroot) {
            this.chain = chain;
            this.key = key;
            this.docroot = docroot;
        }

        /** Answers a request body with itself. */
        public Builder echoUpload() {
            options.add("--echo-upload");
            return this;
        }

        /** Stream flow-control window of 2^bits - 1 bytes (the upstream's receive window). */
        public Builder windowBits(int bits) {
            options.add("--window-bits=" + bits);
            return this;
        }

        /** Connection flow-control window of 2^bits - 1 bytes. */
        public Builder connectionWindowBits(int bits) {
            options.add("--connection-window-bits=" + bits);
            return this;
        }

        public Builder maxConcurrentStreams(int n) {
            options.add("--max-concurrent-streams=" + n);
            return this;
        }

        /** Sends this trailer field ({@code name: value}) after every response body. */
        public Builder trailer(String field) {
            options.add("--trailer=" + field);
            return this;
        }

        public Nghttpd start() {
            if (!Files.isExecutable(NGHTTPD)) {
                throw new IllegalStateException("nghttpd is not installed (apt-get install nghttp2-server)");
            }
            try {
                int port = Ports.closed();
                List<String> command = new ArrayList<>(List.of(NGHTTPD.toString(), "--address=127.0.0.1",
                        "--htdocs=" + docroot));
                command.addAll(options);
                command.addAll(List.of(String.valueOf(port), key.toString(), chain.toString()));
                Path log = Files.createTempFile("nghttpd", ".log");
                ExternalProcess process = ExternalProcess.start("nghttpd", log, Map.of(), command);
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (System.nanoTime() < deadline) {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("nghttpd exited: " + process.output());
                    }
                    try (Socket socket = new Socket()) {
                        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                        return new Nghttpd(process, log, port, docroot);
                    } catch (IOException notYet) {
                        Thread.sleep(20);
                    }
                }
                process.close();
                throw new IllegalStateException("nghttpd not accepting on " + port + ": " + process.output());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    public int port() {
        return port;
    }

    public Path docroot() {
        return docroot;
    }

    public String output() {
        return process.output();
    }

    @Override
    public void close() {
        process.close();
        try {
            Files.deleteIfExists(log);
        } catch (IOException e) {
            // A log file left in the temporary folder.
        }
    }
}
