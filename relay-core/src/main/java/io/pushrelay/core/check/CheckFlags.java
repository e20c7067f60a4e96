package io.pushrelay.core.check;

import io.pushrelay.core.cli.RoleFlags;
import io.pushrelay.core.cli.RoleRunner;
import io.pushrelay.core.config.ConfigException;
import io.pushrelay.core.config.RoleConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * The flags every role's {@code check} subcommand takes, as a Picocli {@code @Mixin}, and the
 * run that turns them into {@link CheckOptions} and calls {@link RoleCheck#run}. A role's check
 * command is then: its parent's flags (see {@link ParentFlags}), this mixin, and one call to
 * {@link #run}.
 */
public final class CheckFlags {
    @Option(names = "--skip", split = ",", paramLabel = "STEP",
            description = "Steps not to run: files, certificate, listen, resolve, trust, network (comma-separated or "
                    + "repeated); e.g. resolve,trust when the push service runs on another host.")
    List<String> skip = new ArrayList<>();

    @Option(names = "--send-test", description = "At the end, send one real notification through the configured upstream"
            + " path (no running relay needed) and print the answer; needs --token and --topic.")
    boolean sendTest;

    @Option(names = "--token", paramLabel = "HEX", description = "With --send-test: the device token.")
    String token;

    @Option(names = "--topic", paramLabel = "BUNDLE_ID", description = "With --send-test: apns-topic, the app's bundle id.")
    String topic;

    @Option(names = "--authority", paramLabel = "NAME",
            description = "With --send-test: the route to send to (default: the first APNS route, e.g. api.push.apple.com;"
                    + " api.sandbox.push.apple.com for a development token).")
    String authority;

    @Option(names = "--push-type", paramLabel = "TYPE", description = "With --send-test: apns-push-type (default: alert).")
    String pushType;

    @Option(names = "--payload", paramLabel = "JSON", description = "With --send-test: the payload (default: a short alert).")
    String payload;

    @Option(names = "--authorization-file", paramLabel = "FILE",
            description = "With --send-test: a file whose first line is a provider token (bearer JWT).")
    Path authorizationFile;

    @Option(names = "--jwt-key", paramLabel = "FILE.p8",
            description = "With --send-test: sign a provider token with this APNS key (with --key-id, --team-id).")
    Path jwtKey;

    @Option(names = "--key-id", paramLabel = "ID", description = "With --jwt-key: the key id.")
    String keyId;

    @Option(names = "--team-id", paramLabel = "ID", description = "With --jwt-key: the team id.")
    String teamId;

    /** Tests and odd hosts: the trust bundle(s) to read instead of the system's. */
    @Option(names = "--trust-bundle", paramLabel = "FILE", hidden = true)
    List<Path> trustBundles = new ArrayList<>();

    /** Loads a role's config from its flags. */
    @FunctionalInterface
    public interface ConfigSource {
        RoleConfig load() throws ConfigException;
    }

    /**
     * Checks: usage errors (a bad {@code --skip}, {@code --token} without {@code --send-test}...)
     * print {@code ERROR: ...} to {@code err} and return 2; a config that does not load prints its
     * {@code ✘ config} lines and returns 2; otherwise every step runs and the result is 0 or 1.
     *
     * @param source  how to name the config in the first line (its file, or {@code (flags only)})
     * @param verbose keep the engine's INFO logs (transport chosen, upstream connections opened and
     *                closed) on stderr; without it {@code io.pushrelay.core} logs at WARN, since the
     *                check lines already say it
     */
    public int run(String source, ConfigSource config, boolean verbose, PrintWriter out, PrintWriter err) {
        ch.qos.logback.classic.Logger engine = LoggerFactory.getLogger("io.pushrelay.core")
                instanceof ch.qos.logback.classic.Logger l ? l : null;
        ch.qos.logback.classic.Level before = engine == null ? null : engine.getLevel();
        if (engine != null && !verbose) {
            engine.setLevel(ch.qos.logback.classic.Level.WARN);
        }
        try {
            CheckOptions options;
            try {
                options = options(source);
            } catch (IllegalArgumentException e) {
                err.println("ERROR: check: " + e.getMessage());
                err.flush();
                return CheckReport.CONFIG_ERROR;
            }
            RoleConfig loaded;
            try {
                loaded = config.load();
            } catch (ConfigException e) {
                return RoleCheck.configFailed(e, out);
            }
            return RoleCheck.run(loaded, options, out).exitCode();
        } finally {
            if (engine != null) {
                engine.setLevel(before);
            }
        }
    }

    /**
     * A role's {@code check} subcommand: with {@code --print-config} the effective config first
     * (problems then show as the check's {@code ✘ config} lines), then {@link #run}; an
     * unexpected failure prints {@code ERROR: check ROLE: ...} (its stack trace with
     * {@code --verbose}) and returns {@link CheckReport#FAILED}.
     *
     * @param role      the role's name in messages: {@code relay-pre}, {@code relay-post}
     * @param roleFlags the role's own flags (config file, verbose, print-config)
     */
    public int runFor(String role, RoleFlags roleFlags, ConfigSource config, PrintWriter out, PrintWriter err) {
        try {
            if (roleFlags.printConfig()) {
                try {
                    out.print(config.load().render(true));
                } catch (ConfigException e) {
                    // The check prints each problem as a ✘ config line.
                }
            }
            return run(roleFlags.source(), config, roleFlags.verbose(), out, err);
        } catch (RuntimeException e) {
            err.println("ERROR: check " + role + ": " + RoleRunner.message(e));
            if (roleFlags.verbose()) {
                e.printStackTrace(err);
            }
            err.flush();
            return CheckReport.FAILED;
        }
    }

    /** The options these flags ask for. */
    public CheckOptions options(String source) {
        CheckOptions options = CheckOptions.defaults(source).withSkip(new LinkedHashSet<>(skip));
        if (!trustBundles.isEmpty()) {
            options = options.withTrustBundles(trustBundles);
        }
        if (sendTest) {
            options = options.withSendTest(new SendTest(token, topic, authority, pushType, payload, authorizationFile, jwtKey,
                    keyId, teamId));
        } else if (token != null || topic != null || authority != null || pushType != null || payload != null
                || authorizationFile != null || jwtKey != null || keyId != null || teamId != null) {
            throw new IllegalArgumentException("--token, --topic, --authority, --push-type, --payload, --authorization-file,"
                    + " --jwt-key, --key-id and --team-id only go with --send-test");
        }
        return options;
    }
}
