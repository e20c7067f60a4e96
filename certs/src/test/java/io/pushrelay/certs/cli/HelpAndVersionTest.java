package io.pushrelay.certs.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Every command answers --help (examples first, exit codes last) and --version. */
class HelpAndVersionTest {
    private static final List<List<String>> COMMANDS = List.of(
            List.of(), List.of("ca"), List.of("ca", "create"), List.of("server"), List.of("server", "create"),
            List.of("client"), List.of("client", "create"), List.of("inspect"), List.of("verify"), List.of("trust"));

    @Test
    void everyCommandShouldStartItsHelpWithExamples() {
        for (List<String> command : COMMANDS) {
            List<String> args = new java.util.ArrayList<>(command);
            args.add("--help");
            Cli.Run run = Cli.run(args.toArray(String[]::new));
            String name = String.join(" ", command);
            assertEquals(0, run.code(), () -> name + "\n" + run);
            assertTrue(run.out().startsWith("Examples:\n  push-relay certs " + name), () -> name + "\n" + run);
            assertTrue(run.out().contains("Usage: push-relay certs" + (name.isEmpty() ? "" : " " + name) + " "),
                    () -> name + "\n" + run);
            assertTrue(run.out().contains("Exit codes:\n  0   ok\n  1   failed"), () -> name + "\n" + run);
            run.out().lines().forEach(line -> assertTrue(line.length() <= 80, () -> name + ": too wide: " + line));
        }
    }

    @Test
    void everyCommandShouldTellItsVersion() {
        for (List<String> command : COMMANDS) {
            List<String> args = new java.util.ArrayList<>(command);
            args.add("--version");
            Cli.Run run = Cli.run(args.toArray(String[]::new));
            // Outside the jar there is no manifest: the version is "dev" (BuiltJarTest checks the jar's).
            assertEquals(new Cli.Run(0, "push-relay certs dev\n", ""), run);
        }
    }
}
