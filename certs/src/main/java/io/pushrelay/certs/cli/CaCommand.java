package io.pushrelay.certs.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code push-relay certs ca}: the certificate authority itself. */
@Command(name = "ca",
        headerHeading = "Examples:%n",
        header = {
            "  push-relay certs ca create --dir ca",
            "  push-relay certs ca create --dir ca --permit relay.example.net \\",
            "      --passphrase-file ca.pass",
            ""},
        description = "Create the CA that signs the relay's certificates.",
        subcommands = CaCreateCommand.class)
public final class CaCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw CertsCommand.missingCommand(spec);
    }
}
