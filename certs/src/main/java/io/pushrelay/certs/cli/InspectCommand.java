package io.pushrelay.certs.cli;

import io.pushrelay.certs.CertificateText;
import io.pushrelay.certs.CertsException;
import io.pushrelay.certs.Verifier;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code push-relay certs inspect FILE...}: what a certificate, key or PKCS#12 file holds. */
@Command(name = "inspect",
        headerHeading = "Examples:%n",
        header = {
            "  push-relay certs inspect ca/ca.pem",
            "  push-relay certs inspect tls/server.pem tls/server.key",
            "  push-relay certs inspect --password-file p12.pass tls/relay-pre.p12",
            ""},
        description = {
            "Show what certificate, key and PKCS#12 files hold.",
            "For each certificate: subject, SANs, issuer, validity and days left, key type, SHA-256 fingerprint, basic constraints, key usage, extended key usage and name constraints. For a key: its type. Reads PEM (chains, keys, several objects per file), DER and PKCS#12. Exit 1 when any file could not be read."
        })
public final class InspectCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);

    @Spec
    CommandSpec spec;

    @Mixin
    VerboseMixin verbose;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Certificate, key or PKCS#12 files.")
    List<Path> files;

    @Option(names = "--password-file", paramLabel = "FILE",
            description = "Password of a PKCS#12 file or an encrypted key: first line of FILE.")
    Path passwordFile;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        char[] password = Secrets.firstLine(passwordFile, "--password-file");
        int failed = 0;
        CertsException last = null;
        try {
            for (Path file : files) {
                try {
                    CertificateFiles.Contents contents = CertificateFiles.read(file, password);
                    print(out, file, contents, Instant.now());
                } catch (CertsException e) {
                    if (files.size() == 1) {
                        throw e;
                    }
                    // Go on with the other files; report each failure as it comes.
                    err.println("ERROR: " + e.getMessage());
                    failed++;
                    last = e;
                }
            }
        } finally {
            Secrets.wipe(password);
        }
        if (failed > 0) {
            throw new CertsException("inspect", failed + " of " + files.size() + " files could not be read"
                    + " (last: " + last.getMessage() + ")");
        }
        return 0;
    }

    private static void print(PrintWriter out, Path file, CertificateFiles.Contents contents, Instant now) {
        List<CertificateFiles.Item> items = contents.items();
        long certificates = items.stream().filter(i -> i.certificate() != null).count();
        int n = 0;
        for (CertificateFiles.Item item : items) {
            if (item.certificate() == null) {
                out.printf("%s (%s): %s%n", file, contents.format(), item.text());
                continue;
            }
            n++;
            out.printf("%s (%s): certificate%s%n", file, contents.format(),
                    certificates > 1 ? " " + n + " of " + certificates : "");
            printCertificate(out, item.certificate(), now);
        }
    }

    static void printCertificate(PrintWriter out, X509Certificate cert, Instant now) {
        boolean selfIssued = cert.getSubjectX500Principal().equals(cert.getIssuerX500Principal());
        List<String> sans = CertificateText.subjectAltNames(cert);
        line(out, "subject", cert.getSubjectX500Principal().toString());
        line(out, "SANs", sans.isEmpty() ? "none" : String.join(", ", sans));
        line(out, "issuer", cert.getIssuerX500Principal() + (selfIssued ? " (self-issued)" : ""));
        line(out, "serial", CertificateText.serial(cert));
        line(out, "valid", TIME.format(cert.getNotBefore().toInstant()) + " to "
                + TIME.format(cert.getNotAfter().toInstant()) + " (" + daysLeft(cert, now) + ")");
        line(out, "key", CertificateText.describeKey(cert.getPublicKey()));
        line(out, "signature", cert.getSigAlgName());
        line(out, "SHA-256", CertificateText.fingerprint(cert));
        line(out, "basic constraints", CertificateText.basicConstraints(cert));
        line(out, "key usage", CertificateText.keyUsage(cert));
        line(out, "ext. key usage", CertificateText.extendedKeyUsage(cert));
        line(out, "name constraints", CertificateText.nameConstraints(cert).orElse("none"));
    }

    private static String daysLeft(X509Certificate cert, Instant now) {
        if (now.isBefore(cert.getNotBefore().toInstant())) {
            return "NOT YET VALID, starts in " + (Verifier.daysLeft(cert.getNotBefore().toInstant(), now) + 1) + " days";
        }
        long days = Verifier.daysLeft(cert.getNotAfter().toInstant(), now);
        if (now.isAfter(cert.getNotAfter().toInstant())) {
            return "EXPIRED " + (-days - 1) + " days ago";
        }
        return days + (days == 1 ? " day left" : " days left");
    }

    private static void line(PrintWriter out, String label, String value) {
        out.printf("  %-18s %s%n", label + ":", value);
    }
}
