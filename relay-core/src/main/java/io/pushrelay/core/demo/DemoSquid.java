package io.pushrelay.core.demo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Squid as the demo's corporate proxy: CONNECT allowed only to the given ports, the push
 * gateways' names mapped to 127.0.0.1 through its {@code hosts_file} (so that
 * {@code CONNECT api.push.apple.com:PORT} reaches a simulator), an access log of every tunnel.
 */
final class DemoSquid implements AutoCloseable {
    private static final List<String> PATHS = List.of("/usr/sbin/squid", "/usr/bin/squid");

    private final DemoProcess process;
    private final int port;
    private final Path accessLog;

    private DemoSquid(DemoProcess process, int port, Path accessLog) {
        this.process = process;
        this.port = port;
        this.accessLog = accessLog;
    }

    static Optional<String> binary() {
        return PATHS.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst();
    }

    static DemoSquid start(String binary, Path dir, List<Integer> allowPorts, List<String> names) throws IOException {
        // Squid drops to user 'proxy': its folder must be writable by it (the caller keeps every
        // parent folder traversable).
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Files.writeString(dir.resolve("hosts"), names.stream().map(n -> "127.0.0.1 " + n)
                .collect(Collectors.joining("\n", "", "\n")), StandardCharsets.US_ASCII);
        int port = freePort();
        List<String> conf = new ArrayList<>(List.of(
                "http_port 127.0.0.1:" + port,
                "pid_filename " + dir.resolve("squid.pid"),
                "access_log stdio:" + dir.resolve("access.log"),
                "cache_log " + dir.resolve("cache.log"),
                "cache_store_log none",
                "coredump_dir " + dir,
                "cache deny all",
                "shutdown_lifetime 0 seconds",
                "hosts_file " + dir.resolve("hosts"),
                "dns_nameservers 127.0.0.1",
                "pinger_enable off",
                "netdb_filename none",
                "icp_port 0",
                "htcp_port 0",
                "udp_incoming_address 127.0.0.1",
                "udp_outgoing_address 127.0.0.1",
                "visible_hostname push-relay-demo-proxy",
                "acl okports port " + allowPorts.stream().map(String::valueOf).collect(Collectors.joining(" ")),
                "acl CONNECT method CONNECT",
                "http_access deny CONNECT !okports",
                "http_access allow localhost",
                "http_access deny all"));
        Path file = dir.resolve("squid.conf");
        Files.write(file, conf, StandardCharsets.US_ASCII);
        DemoProcess process = DemoProcess.start("squid", dir.resolve("squid.out"), Map.of(),
                List.of(binary, "-N", "-f", file.toString()));
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return new DemoSquid(process, port, dir.resolve("access.log"));
            } catch (IOException notYet) {
                DemoProcess.sleep(100);
            }
            if (process.waitFor(Duration.ZERO) >= 0) {
                break;
            }
        }
        process.close();
        String cacheLog = Files.exists(dir.resolve("cache.log")) ? Files.readString(dir.resolve("cache.log")) : "";
        throw new IllegalStateException("squid did not start; " + dir.resolve("cache.log") + " ends:\n"
                + DemoProcess.tail(cacheLog + process.output()));
    }

    int port() {
        return port;
    }

    Path accessLog() {
        return accessLog;
    }

    @Override
    public void close() {
        process.close();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
