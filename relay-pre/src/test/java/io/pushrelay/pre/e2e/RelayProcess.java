package io.pushrelay.pre.e2e;

import io.pushrelay.core.testing.ExternalProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code push-relay pre} (or, with {@link #startPost}, {@code push-relay post}) as a process of
 * its own: {@code java -cp <this JVM's class path> io.pushrelay.pre.PreCommand ARGS}, stdout (the access log, and the "listening" line) and
 * stderr (the operational log) in two files. Netty's leak detection runs at the level given
 * (paranoid by default); {@link #leaks()} finds its reports in stderr. {@link #close()} stops it
 * (TERM, then KILL), so try-with-resources leaves nothing behind.
 */
public final class RelayProcess implements AutoCloseable {
    private static final String PRE_MAIN = "io.pushrelay.pre.PreCommand";
    private static final Pattern LISTENING = Pattern.compile(
            "relay-pre listening on (\\S+):(\\d+) \\(admin (\\S+):(\\d+)\\)");
    /** relay-post's main class: on the class path through relay-pre's test dependency on relay-post. */
    private static final String POST_MAIN = "io.pushrelay.post.PostCommand";
    private static final Pattern POST_LISTENING = Pattern.compile(
            "relay-post listening on (\\S+):(\\d+) \\(.*; admin (\\S+):(\\d+)\\)");

    private final ExternalProcess process;
    private final Path stdout;
    private final Path stderr;
    private final int port;
    private final int adminPort;

    private RelayProcess(ExternalProcess process, Path stdout, Path stderr, int port, int adminPort) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
        this.port = port;
        this.adminPort = adminPort;
    }

    /**
     * The {@code java ... PreCommand ARGS} command line (no shell), for runs to completion. C1
     * only: a relay that lives for seconds spends less CPU compiling (it shares two cores with
     * the senders and the upstream).
     */
    public static List<String> command(String leakLevel, List<String> args) {
        return command(PRE_MAIN, leakLevel, args);
    }

    private static List<String> command(String mainClass, String leakLevel, List<String> args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dio.netty.leakDetection.level=" + leakLevel, "-Dio.netty.leakDetection.targetRecords=8",
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(args);
        return command;
    }

    /** Starts the relay and waits until it prints that it listens. */
    public static RelayProcess start(Path dir, String name, List<String> args) {
        return start(dir, name, "paranoid", args);
    }

    public static RelayProcess start(Path dir, String name, String leakLevel, List<String> args) {
        return start(dir, name, leakLevel, PRE_MAIN, "relay-pre listening on", LISTENING, args);
    }

    /**
     * Starts {@code push-relay post} ({@code io.pushrelay.post.PostCommand ARGS}) the same way and
     * waits until it prints that it listens; {@link #adminPort()} is its admin port.
     */
    public static RelayProcess startPost(Path dir, String name, String leakLevel, List<String> args) {
        return start(dir, name, leakLevel, POST_MAIN, "relay-post listening on", POST_LISTENING, args);
    }

    private static RelayProcess start(Path dir, String name, String leakLevel, String mainClass, String listening,
                                      Pattern ports, List<String> args) {
        Path out = dir.resolve(name + ".stdout");
        Path err = dir.resolve(name + ".stderr");
        List<String> command = new ArrayList<>(List.of("sh", "-c", "exec \"$@\" 2>\"$RELAY_STDERR\"", "sh"));
        command.addAll(command(mainClass, leakLevel, args));
        ExternalProcess process = ExternalProcess.start(listening.split(" ")[0] + " " + name, out, Map.of("RELAY_STDERR", err.toString()),
                command);
        try {
            process.awaitOutput(listening, Duration.ofSeconds(30));
        } catch (IllegalStateException e) {
            process.close();
            throw new IllegalStateException(e.getMessage() + "\nstderr:\n" + read(err), e);
        }
        Matcher m = ports.matcher(process.output());
        if (!m.find()) {
            process.close();
            throw new IllegalStateException("cannot read the ports from: " + process.output());
        }
        return new RelayProcess(process, out, err, Integer.parseInt(m.group(2)), Integer.parseInt(m.group(4)));
    }

    public int port() {
        return port;
    }

    public int adminPort() {
        return adminPort;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String stdout() {
        return read(stdout);
    }

    public String stderr() {
        return read(stderr);
    }

    /** Netty's leak reports in the operational log. */
    public List<String> leaks() {
        List<String> out = new ArrayList<>();
        for (String line : stderr().split("\n")) {
            if (line.contains("LEAK:")) {
                out.add(line);
            }
        }
        return out;
    }

    /** GET {@code /metrics} on the admin port. */
    public String metrics() {
        return adminGet("/metrics");
    }

    public String adminGet(String path) {
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + adminPort + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + path + " on the admin port", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code kill -HUP}: reload. */
    public void hangUp() {
        signal("HUP");
    }

    public void signal(String name) {
        ExternalProcess.Result r = ExternalProcess.run(Duration.ofSeconds(5), Map.of(),
                List.of("kill", "-" + name, Long.toString(process.pid())));
        if (r.exitCode() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + ": " + r.output());
        }
    }

    /** Sends SIGTERM and waits for the exit; the exit code, or -1 if it had to be killed. */
    public int terminate(Duration grace) {
        return process.terminate(grace);
    }

    /** Waits for the process to exit by itself; its exit code, or -1 on timeout. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        return process.process().waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.process().exitValue() : -1;
    }

    @Override
    public void close() {
        process.close();
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
