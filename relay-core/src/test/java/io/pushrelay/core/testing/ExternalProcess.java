package io.pushrelay.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A program a test starts (Squid, nghttpd, curl, a Go client, a relay). Output goes to a
 * log file; {@link #close()} stops it (TERM, then KILL) and its children, so a test that
 * uses try-with-resources never leaves a process behind, even on failure.
 */
public final class ExternalProcess implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final String name;

    private ExternalProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    public static ExternalProcess start(String name, Path log, Map<String, String> env, List<String> command) {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(env);
        try {
            return new ExternalProcess(name, builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("start " + name + " " + command, e);
        }
    }

    /** Runs a command to completion (bounded by {@code timeout}); returns exit code and output. */
    public static Result run(Duration timeout, Map<String, String> env, List<String> command) {
        try {
            Path out = Files.createTempFile("proc", ".log");
            try (ExternalProcess p = start(command.get(0), out, env, command)) {
                boolean done = p.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
                int code = done ? p.process.exitValue() : -1;
                String text = Files.readString(out, StandardCharsets.UTF_8);
                return new Result(done ? code : -1, done ? text : text + "\n[timed out after " + timeout + "]");
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Exit code and combined stdout/stderr of a finished command. */
    public record Result(int exitCode, String output) {
    }

    public Process process() {
        return process;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Waits until the log contains {@code text}, or fails with the log. */
    public void awaitOutput(String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (output().contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + output());
            }
            sleep(20);
        }
        throw new IllegalStateException(name + " did not print '" + text + "' within " + timeout + ":\n" + output());
    }

    /** Sends SIGTERM and waits for exit; returns the exit code, or -1 if it had to be killed. */
    public int terminate(Duration grace) {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
        try {
            if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                return process.exitValue();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        return -1;
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            terminate(Duration.ofSeconds(5));
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
