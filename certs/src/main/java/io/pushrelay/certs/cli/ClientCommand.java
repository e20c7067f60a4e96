package io.pushrelay.certs.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code push-relay certs client}: client certificates for mutual TLS. */
@Command(name = "client",
        headerHeading = "Examples:%n",
        header = {
            "  push-relay certs client create --ca ca --out tls --name relay-pre",
            ""},
        description = "Issue client certificates for mutual TLS.",
        subcommands = ClientCreateCommand.class)
public final class ClientCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw CertsCommand.missingCommand(spec);
    }
}
