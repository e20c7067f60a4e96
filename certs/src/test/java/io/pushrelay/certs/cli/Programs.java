package io.pushrelay.certs.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * External programs (openssl, curl, go, java). A missing program fails the test, never skips
 * it: CI installs them first. Every process is destroyed when the call returns, whatever
 * happened; output goes to files, so a chatty program never blocks on a full pipe.
 */
final class Programs {
    private Programs() {
    }

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
        }
    }

    /** The absolute path of {@code name} on PATH, or a test failure saying it must be installed. */
    static String require(String name) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return fail(name + " is not installed; this test needs it (CI installs openssl, curl and golang-go)");
    }

    static Result run(Path workDir, Map<String, String> env, Duration timeout, List<String> command) {
        Process process = null;
        try {
            Path out = Files.createTempFile(workDir, "out-", ".txt");
            Path err = Files.createTempFile(workDir, "err-", ".txt");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            builder.environment().putAll(env);
            process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return fail(String.join(" ", command) + " did not finish within " + timeout
                        + "\n--- stdout\n" + Files.readString(out) + "\n--- stderr\n" + Files.readString(err));
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return fail("could not run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail("interrupted while running " + String.join(" ", command));
        } finally {
            if (process != null) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
    }

    static Result run(Path workDir, List<String> command) {
        return run(workDir, Map.of(), Duration.ofSeconds(30), command);
    }
}
