package io.pushrelay.post;

import io.pushrelay.core.check.CheckFlags;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code push-relay post check [the flags of post] [check flags]}: relay-post's config,
 * certificate and key, listen addresses, and the network to each route's upstream (egress
 * proxy reachable, CONNECT allowed, upstream TLS verifies, ALPN h2), one {@code ✔}/{@code ✘}
 * line per step, each {@code ✘} with its fix. Binds nothing that stays bound.
 */
@Command(name = "check", mixinStandardHelpOptions = true, versionProvider = PostCommand.Version.class,
        header = {"Check relay-post's config, certificate, listen addresses and network, one line per step.", "",
            "Examples:",
            "  push-relay post check --config /etc/push-relay/post.yaml",
            "  push-relay post check --cert tls/post.pem --key tls/post.key --proxy http://egress.dmz:3128",
            ""},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:every step passed", "1:a step failed (its ✘ line says how to fix it)",
            "2:usage or config error"})
public final class PostCheckCommand implements Callable<Integer> {
    @ParentCommand
    PostCommand post;

    @Mixin
    CheckFlags flags;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return flags.runFor("relay-post", post.flags, post::loadConfig, spec.commandLine().getOut(),
                spec.commandLine().getErr());
    }
}
