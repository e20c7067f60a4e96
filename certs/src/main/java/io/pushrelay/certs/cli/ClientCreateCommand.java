package io.pushrelay.certs.cli;

import io.pushrelay.certs.CertificateAuthority;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code push-relay certs client create}: OUT/NAME.pem (leaf, then CA) and OUT/NAME.key. */
@Command(name = "create",
        headerHeading = "Examples:%n",
        header = {
            "  push-relay certs client create --ca ca --out tls --name relay-pre",
            "  push-relay certs client create --ca ca --out tls --name relay-pre \\",
            "      --p12-password-file p12.pass",
            "  push-relay certs client create --ca ca --out tls --name pre.relay.example.net",
            ""},
        description = {
            "Issue a client certificate for mutual TLS.",
            "Writes OUT/NAME.pem (the certificate, then the CA's), OUT/NAME.key (0600) and, with --p12, OUT/NAME.p12.",
            "",
            "A one-label name (relay-pre) goes into a URI SAN urn:push-relay:client:NAME, which the CA's DNS name constraints do not govern. A dotted name (pre.relay.example.net) is a DNS SAN and must be permitted by the CA (ca create --permit relay.example.net)."
        })
public final class ClientCreateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    VerboseMixin verbose;

    @Option(names = "--name", required = true, paramLabel = "CN", converter = Converters.ClientNames.class,
            description = "The client's name: its CN and SAN, and the file name base.")
    String name;

    @Mixin
    IssueOptions issue;

    @Override
    public Integer call() {
        CertificateAuthority.LeafOptions options =
                new CertificateAuthority.LeafOptions(name, List.of(), List.of(), issue.keyType, issue.days);
        return Issuance.run(spec, issue, name, "client", ca -> ca.issueClient(options));
    }
}
