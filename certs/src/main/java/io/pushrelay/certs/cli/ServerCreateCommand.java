package io.pushrelay.certs.cli;

import io.pushrelay.certs.CertificateAuthority;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code push-relay certs server create}: OUT/BASE.pem (leaf, then CA) and OUT/BASE.key. */
@Command(name = "create",
        headerHeading = "Examples:%n",
        header = {
            "  push-relay certs server create --ca ca --out tls --host api.push.apple.com",
            "  push-relay certs server create --ca ca --out tls --name apns \\",
            "      --host api.push.apple.com api.sandbox.push.apple.com \\",
            "      api.development.push.apple.com",
            "  push-relay certs server create --ca ca --out tls \\",
            "      --host fcm.googleapis.com --ip 127.0.0.1 --p12-password-file p12.pass",
            ""},
        description = {
            "Issue a TLS server certificate.",
            "Writes OUT/BASE.pem (the certificate, then the CA's), OUT/BASE.key (its private key, 0600) and, with --p12, OUT/BASE.p12. A name outside the CA's name constraints is refused before anything is signed."
        })
public final class ServerCreateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    VerboseMixin verbose;

    @Option(names = "--host", arity = "1..*", paramLabel = "NAME", converter = Converters.Hosts.class,
            description = "DNS names for the certificate (*.example.com allowed). Repeatable.")
    List<String> hosts = new ArrayList<>();

    @Option(names = "--ip", arity = "1..*", paramLabel = "ADDR", converter = Converters.Addresses.class,
            description = "IP addresses for the certificate. Repeatable.")
    List<String> ips = new ArrayList<>();

    @Option(names = "--name", paramLabel = "BASE", defaultValue = "server", converter = Converters.BaseNames.class,
            description = "File name base: BASE.pem, BASE.key, BASE.p12 (default: ${DEFAULT-VALUE}).")
    String base;

    @Mixin
    IssueOptions issue;

    @Override
    public Integer call() {
        if (hosts.isEmpty() && ips.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "give at least one --host NAME or --ip ADDR");
        }
        CertificateAuthority.LeafOptions options =
                new CertificateAuthority.LeafOptions(null, hosts, ips, issue.keyType, issue.days);
        return Issuance.run(spec, issue, base, "server", ca -> ca.issueServer(options));
    }
}
