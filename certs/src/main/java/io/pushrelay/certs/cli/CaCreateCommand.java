package io.pushrelay.certs.cli;

import io.pushrelay.certs.CertificateAuthority;
import io.pushrelay.certs.CertificateText;
import io.pushrelay.certs.CertsException;
import io.pushrelay.certs.KeyType;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code push-relay certs ca create}: a new CA in DIR/ca.pem and DIR/ca.key. */
@Command(name = "create",
        headerHeading = "Examples:%n",
        header = {
            "  push-relay certs ca create --dir ca",
            "  push-relay certs ca create --dir ca --name \"ACME relay CA\" --key-type ec-p384",
            "  push-relay certs ca create --dir ca --permit relay.example.net \\",
            "      --permit 10.20.0.0/16",
            "  push-relay certs ca create --dir ca --passphrase-file ca.pass",
            ""},
        description = {
            "Create a certificate authority.",
            "Writes DIR/ca.pem (the certificate to trust) and DIR/ca.key (its private key, 0600; encrypted with AES-256 when a passphrase file is given). DIR is created (0700) when missing.",
            "",
            "The CA carries critical name constraints: it can only sign for api.push.apple.com, api.sandbox.push.apple.com, api.development.push.apple.com, fcm.googleapis.com, oauth2.googleapis.com, 127.0.0.0/8, ::1 and the --permit names, so that trusting it does not let it vouch for any other site (OpenSSL, curl and Go enforce this; Java does not enforce constraints on a trusted root)."
        })
public final class CaCreateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    VerboseMixin verbose;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Where to write ca.pem and ca.key.")
    Path dir;

    @Option(names = "--name", paramLabel = "CN", defaultValue = "push-relay CA",
            description = "The CA's common name (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--key-type", paramLabel = "TYPE", converter = Converters.KeyTypes.class,
            defaultValue = "ec-p256",
            description = "ec-p256 (default), ec-p384, rsa-2048, rsa-3072 or rsa-4096.")
    KeyType keyType;

    @Option(names = "--days", paramLabel = "N", converter = Converters.Days.class,
            defaultValue = "" + CertificateAuthority.DEFAULT_CA_DAYS,
            description = "Validity in days (default: ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--permit", paramLabel = "NAME", converter = Converters.Permits.class,
            description = "Also permit this DNS name (and every name under it) or address range"
                    + " (10.0.0.0/8). Repeatable.")
    List<String> permit = new ArrayList<>();

    @Option(names = "--no-name-constraints",
            description = "Make an unconstrained CA, able to sign for any name. Think twice.")
    boolean noNameConstraints;

    @Option(names = "--passphrase-file", paramLabel = "FILE",
            description = "Encrypt ca.key with the first line of FILE.")
    Path passphraseFile;

    @Option(names = "--force", description = "Overwrite an existing ca.pem and ca.key.")
    boolean force;

    @Override
    public Integer call() {
        CertificateAuthority.Options options = new CertificateAuthority.Options(
                name, keyType, days, permit, !noNameConstraints);
        List<Path> targets = List.of(dir.resolve("ca.pem"), dir.resolve("ca.key"));
        if (!force) {
            for (Path target : targets) {
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new CertsException("write " + target, "file exists (use --force to overwrite,"
                            + " which makes every certificate the old CA issued useless)");
                }
            }
        }
        char[] passphrase = Secrets.firstLine(passphraseFile, "--passphrase-file");
        try {
            CertificateAuthority ca;
            try (OutputFolder folder = OutputFolder.open(dir, "--dir")) {
                ca = CertificateAuthority.create(options);
                ca.save(dir, passphrase, force);
                folder.keep();
            }
            report(spec.commandLine().getOut(), ca, targets, passphrase != null);
            return 0;
        } finally {
            Secrets.wipe(passphrase);
        }
    }

    private void report(PrintWriter out, CertificateAuthority ca, List<Path> files, boolean encrypted) {
        var cert = ca.certificate();
        out.printf("Created CA %s (%s), valid until %s%n", cert.getSubjectX500Principal(),
                CertificateText.describeKey(cert.getPublicKey()),
                LocalDate.ofInstant(cert.getNotAfter().toInstant(), ZoneOffset.UTC));
        out.printf("  %-24s certificate: the one clients trust%n", files.get(0));
        out.printf("  %-24s private key (0600, %s): keep it on this host%n", files.get(1),
                encrypted ? "encrypted" : "not encrypted");
        out.printf("  name constraints: %s%n", CertificateText.nameConstraints(cert).orElse("none: it can sign for any name"));
        out.printf("  SHA-256: %s%n", CertificateText.fingerprint(cert));
        out.printf("Next: push-relay certs server create --ca %s --out tls --host api.push.apple.com%n", dir);
        out.printf("      push-relay certs trust --ca %s%n", files.get(0));
    }
}
