package io.pushrelay.certs.cli;

import io.pushrelay.certs.CertificateAuthority;
import io.pushrelay.certs.CertificateText;
import io.pushrelay.certs.CertsException;
import io.pushrelay.certs.Leaf;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Issues and saves one leaf for {@code server create} and {@code client create}. Order matters:
 * flags, then existing files, then the CA, then the name constraints (in the API, before any
 * key is made or anything signed), and only then the output folder and the files, all or none.
 */
final class Issuance {
    private Issuance() {
    }

    static int run(CommandSpec spec, IssueOptions options, String base, String kind,
                   Function<CertificateAuthority, Leaf> issue) {
        boolean p12 = options.p12 || options.p12PasswordFile != null;
        if (options.p12 && options.p12PasswordFile == null) {
            throw new ParameterException(spec.commandLine(),
                    "--p12 needs --p12-password-file FILE (the password protecting the PKCS#12 file)");
        }
        if (Files.isRegularFile(options.ca)) {
            throw new ParameterException(spec.commandLine(),
                    "--ca takes the CA folder (holding ca.pem and ca.key), not the file " + options.ca);
        }
        List<Path> targets = new ArrayList<>(List.of(options.out.resolve(base + ".pem"), options.out.resolve(base + ".key")));
        if (p12) {
            targets.add(options.out.resolve(base + ".p12"));
        }
        for (Path target : targets) {
            Path absolute = target.toAbsolutePath().normalize();
            for (String own : List.of("ca.pem", "ca.key")) {
                if (absolute.equals(options.ca.resolve(own).toAbsolutePath().normalize())) {
                    throw new CertsException("write " + target, "that is the CA's own file (choose another --out or name)");
                }
            }
        }
        if (!options.force) {
            for (Path target : targets) {
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    throw new CertsException("write " + target, "file exists (use --force to overwrite)");
                }
            }
        }
        if (!Files.isDirectory(options.ca)) {
            throw new CertsException("load CA " + options.ca, "no such folder (create it with push-relay certs ca create --dir "
                    + options.ca + ")");
        }
        char[] passphrase = Secrets.firstLine(options.passphraseFile, "--passphrase-file");
        char[] p12Password = null;
        try {
            p12Password = Secrets.firstLine(options.p12PasswordFile, "--p12-password-file");
            CertificateAuthority ca = CertificateAuthority.load(options.ca, passphrase);
            Leaf leaf = issue.apply(ca);
            try (OutputFolder folder = OutputFolder.open(options.out, "--out")) {
                leaf.save(options.out, base, p12Password, options.force);
                folder.keep();
            }
            report(spec.commandLine().getOut(), kind, leaf, ca, targets);
            return 0;
        } finally {
            Secrets.wipe(passphrase);
            Secrets.wipe(p12Password);
        }
    }

    private static void report(PrintWriter out, String kind, Leaf leaf, CertificateAuthority ca, List<Path> files) {
        var cert = leaf.certificate();
        out.printf("Issued %s certificate %s (%s), valid until %s, signed by %s%n", kind,
                cert.getSubjectX500Principal(), CertificateText.describeKey(cert.getPublicKey()),
                LocalDate.ofInstant(cert.getNotAfter().toInstant(), ZoneOffset.UTC),
                ca.certificate().getSubjectX500Principal());
        out.printf("  names: %s%n", String.join(", ", CertificateText.subjectAltNames(cert)));
        String[] what = {"certificate chain: " + kind + ", then CA", "private key (0600, not encrypted)",
            "PKCS#12: key and chain (0600)"};
        for (int i = 0; i < files.size(); i++) {
            out.printf("  %-24s %s%n", files.get(i), what[i]);
        }
    }
}
