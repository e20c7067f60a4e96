package io.pushrelay.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A network namespace of the test's own, with loopback up and its own {@code /etc/hosts}:
 * {@code ip netns exec} mounts {@code /etc/netns/NAME/hosts} over {@code /etc/hosts} for every
 * process it starts, so the JDK, Netty's resolver (Pushy), Go, curl and Squid all see the
 * redirection exactly as a push-service host whose {@code /etc/hosts} points at the relay.
 * {@link #close()} deletes the namespace and its folder.
 */
public final class NetNamespace implements AutoCloseable {
    private final String name;
    private final Path etcDir;

    private NetNamespace(String name, Path etcDir) {
        this.name = name;
        this.etcDir = etcDir;
    }

    /** Creates a namespace whose {@code /etc/hosts} is {@code hostsFile} (lines as given). */
    public static NetNamespace create(String prefix, List<String> hostsLines) {
        String name = prefix + "-" + ProcessHandle.current().pid() + "-" + ThreadLocalRandom.current().nextInt(1000, 9999);
        Path etc = Path.of("/etc/netns", name);
        run(List.of("ip", "netns", "add", name));
        NetNamespace ns = new NetNamespace(name, etc);
        try {
            Files.createDirectories(etc);
            List<String> lines = new ArrayList<>(List.of("127.0.0.1 localhost", "::1 localhost ip6-localhost"));
            lines.addAll(hostsLines);
            Files.write(etc.resolve("hosts"), lines, StandardCharsets.US_ASCII);
            run(List.of("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"));
            return ns;
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    public String name() {
        return name;
    }

    /** The command line that runs {@code command} inside this namespace. */
    public List<String> exec(List<String> command) {
        List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", name));
        out.addAll(command);
        return out;
    }

    @Override
    public void close() {
        // Processes still inside keep the namespace alive; ours are stopped by their own tests.
        ExternalProcess.run(Duration.ofSeconds(10), Map.of(), List.of("ip", "netns", "delete", name));
        try {
            if (Files.isDirectory(etcDir)) {
                try (var files = Files.list(etcDir)) {
                    for (Path f : files.toList()) {
                        Files.deleteIfExists(f);
                    }
                }
                Files.deleteIfExists(etcDir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void run(List<String> command) {
        ExternalProcess.Result result = ExternalProcess.run(Duration.ofSeconds(10), Map.of(), command);
        if (result.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (" + result.exitCode() + "): "
                    + result.output());
        }
    }
}
