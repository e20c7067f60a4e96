package io.pushrelay.core.cli;

import io.pushrelay.core.config.ConfigException;
import io.pushrelay.core.config.RoleConfig;
import io.pushrelay.core.observe.logging.LogSetup;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import picocli.CommandLine;

/**
 * What {@code push-relay pre} and {@code post} do the same way once their flags are parsed:
 * load the config (problems: exit 2), {@code --print-config}, set up logging, start the relay
 * (failure: exit 1), print its one "listening" line, then serve signals in the foreground until
 * SIGTERM/SIGINT: SIGHUP reloads the config from the file and flags (a bad one is refused and
 * the running one kept) and reopens the log files; SIGTERM/SIGINT drain within
 * {@link RoleConfig#drainTimeout()}, close and return 0.
 *
 * @param <C> the role's config record
 * @param <R> the role's relay
 */
public final class RoleRunner<C extends RoleConfig, R extends RunningRelay<C>> {
    /** Loads the role's config from its flags (at start and on every SIGHUP). */
    @FunctionalInterface
    public interface Load<C> {
        C load() throws ConfigException;
    }

    /** Starts the role's relay; a RuntimeException says why it could not. */
    @FunctionalInterface
    public interface Start<C, R> {
        R start(C config);
    }

    /** The line printed once the relay is bound, e.g. {@code relay-post listening on ...}. */
    @FunctionalInterface
    public interface Banner<R> {
        String describe(R relay);
    }

    private final String role;
    private final RoleFlags flags;
    private final PrintWriter out;
    private final PrintWriter err;

    /**
     * @param role  the role's name in messages: {@code relay-pre}, {@code relay-post}
     * @param flags the flags common to both roles (verbose, print-config)
     */
    public RoleRunner(String role, RoleFlags flags, PrintWriter out, PrintWriter err) {
        this.role = role;
        this.flags = flags;
        this.out = out;
        this.err = err;
    }

    /**
     * Parses {@code args} into {@code command} and runs it; returns the exit code (usage errors: 2,
     * with a pointer to {@code --help}). For the roles' {@code main} and tests.
     */
    public static int execute(Object command, String name, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(command);
        cli.setOut(out);
        cli.setErr(err);
        cli.setUsageHelpWidth(110);
        cli.setParameterExceptionHandler((e, a) -> {
            err.println("ERROR: " + name + ": " + e.getMessage());
            err.println("Try '" + name + " --help'.");
            return 2;
        });
        return cli.execute(args);
    }

    /** Runs the role in the foreground; returns the exit code. */
    public int run(Load<C> load, Start<C, R> start, Banner<R> banner) {
        C config;
        try {
            config = load.load();
        } catch (ConfigException e) {
            for (ConfigException.Problem p : e.problems()) {
                err.println("ERROR: " + p);
            }
            return 2;
        }
        if (flags.printConfig()) {
            out.print(config.render(true));
            out.flush();
            return 0;
        }
        LogSetup.configure(config.log());
        R relay;
        try {
            relay = start.start(config);
        } catch (RuntimeException e) {
            err.println("ERROR: start " + role + ": " + message(e));
            if (flags.verbose()) {
                e.printStackTrace(err);
            }
            return 1;
        }
        out.println(banner.describe(relay));
        out.flush();
        return serve(relay, load, config.drainTimeout());
    }

    private int serve(R relay, Load<C> load, Duration startDrainTimeout) {
        LinkedBlockingQueue<String> signals = new LinkedBlockingQueue<>();
        for (String name : List.of("TERM", "INT", "HUP")) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), s -> signals.add(s.getName()));
        }
        Duration drainTimeout = startDrainTimeout;
        while (true) {
            String signal;
            try {
                signal = signals.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                signal = "TERM";
            }
            if (signal.equals("HUP")) {
                C next = reload(relay, load);
                if (next != null) {
                    drainTimeout = next.drainTimeout();
                }
                continue;
            }
            err.println(role + ": SIG" + signal + ": draining (up to " + drainTimeout.toSeconds() + "s)");
            err.flush();
            boolean clean = relay.drain(drainTimeout);
            relay.close();
            err.println(role + ": stopped" + (clean ? "" : " (drain timeout reached)"));
            err.flush();
            return 0;
        }
    }

    /** SIGHUP: the reloaded config, or {@code null} when it was refused and the running one kept. */
    private C reload(R relay, Load<C> load) {
        try {
            C next = load.load();
            relay.reload(next);
            LogSetup.configure(next.log());
            LogSetup.reopen();
            return next;
        } catch (ConfigException e) {
            for (ConfigException.Problem p : e.problems()) {
                err.println("ERROR: reload: " + p);
            }
        } catch (RuntimeException e) {
            err.println("ERROR: reload: " + message(e) + " (kept the running config)");
            if (flags.verbose()) {
                e.printStackTrace(err);
            }
        }
        err.flush();
        return null;
    }

    /** An exception's message for an operator: its message, or its class when it has none. */
    public static String message(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /**
     * {@code --version}: {@code push-relay VERSION (ROLE)}, the version from
     * {@code -Dpush-relay.version} (the launcher) or the jar's manifest.
     */
    public static String[] version(Class<?> command, String role) {
        String v = System.getProperty("push-relay.version");
        if (v == null) {
            String impl = command.getPackage().getImplementationVersion();
            v = "push-relay " + (impl == null ? "dev" : impl);
        }
        return new String[] {v + " (" + role + ")"};
    }
}
