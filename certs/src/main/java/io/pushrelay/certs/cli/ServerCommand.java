package io.pushrelay.certs.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code push-relay certs server}: TLS server certificates for the relay's listeners. */
@Command(name = "server",
        headerHeading = "Examples:%n",
        header = {
            "  push-relay certs server create --ca ca --out tls --host api.push.apple.com",
            ""},
        description = "Issue TLS server certificates for the relay's listeners.",
        subcommands = ServerCreateCommand.class)
public final class ServerCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw CertsCommand.missingCommand(spec);
    }
}
