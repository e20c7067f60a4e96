package io.pushrelay.pre;

import io.pushrelay.core.check.CheckFlags;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code push-relay pre check [the flags of pre] [check flags]}: Envoy's {@code --mode validate}
 * plus the network, for relay-pre. Takes every flag {@code push-relay pre} takes (they land in
 * the parent {@link PreCommand}, see {@link io.pushrelay.core.check.ParentFlags}), loads the config
 * exactly as the relay would, and runs {@link io.pushrelay.core.check.RoleCheck}: one
 * {@code ✔}/{@code ✘} line per step, each {@code ✘} with its fix. Binds nothing that stays bound.
 */
@Command(name = "check", mixinStandardHelpOptions = true, versionProvider = PreCommand.Version.class,
        header = {"Check relay-pre's config, certificates, name resolution, trust and network, one line per step.", "",
            "Examples:",
            "  push-relay pre check --config /etc/push-relay/pre.yaml",
            "  push-relay pre check --config pre.yaml --skip resolve,trust      # push service on another host",
            "  push-relay pre check --cert tls/server.pem --key tls/server.key --proxy http://proxy.corp:3128",
            "  push-relay pre check --config pre.yaml --send-test --token 740f4707...bb5d --topic com.example.app \\",
            "      --jwt-key AuthKey_ABC123DEFG.p8 --key-id ABC123DEFG --team-id DEF123GHIJ",
            ""},
        description = {"Steps: config valid; files readable, secrets not world-readable; certificate and key match, SANs "
                + "cover the routes, days to expiry; listen and admin addresses bindable (bound and released at once; "
                + "held by the running relay passes); each route name resolves to this relay (the /etc/hosts "
                + "redirection); the relay's CA is in the system trust store; proxy reachable; per route: CONNECT "
                + "allowed (or upstream reachable), upstream TLS verifies, ALPN gives h2 (chained with --via: the same for "
                + "the connection to relay-post, ALPN http/1.1). With --send-test, one real "
                + "notification goes straight through the configured upstream path (no running relay needed) and its "
                + "status, apns-id and reason are printed.",
            "Every line reads '✔ what', '✘ what — fix: how', or '- what: skipped (why)'."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every step passed", "1:a step failed (its ✘ line says how to fix it)",
            "2:usage or config error"})
public final class PreCheckCommand implements Callable<Integer> {
    @ParentCommand
    PreCommand pre;

    @Mixin
    CheckFlags flags;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return flags.runFor("relay-pre", pre.flags, pre::loadConfig, spec.commandLine().getOut(),
                spec.commandLine().getErr());
    }
}
