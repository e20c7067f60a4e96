package io.pushrelay.certs.cli;

import io.pushrelay.certs.CertsException;
import io.pushrelay.certs.Pem;
import io.pushrelay.certs.Verifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code push-relay certs verify}: does FILE chain to the CA (and fit the host)? */
@Command(name = "verify",
        headerHeading = "Examples:%n",
        header = {
            "  push-relay certs verify --ca ca/ca.pem tls/server.pem",
            "  push-relay certs verify --ca ca/ca.pem --host api.push.apple.com \\",
            "      tls/server.pem",
            "  push-relay certs verify --ca ca/ca.pem --host 127.0.0.1 tls/server.pem",
            ""},
        description = {
            "Check a certificate the way a TLS client would.",
            "Checks FILE (PEM or DER; the leaf first): the chain up to the CA (the JDK's PKIX validator, revocation off), the CA's name constraints, and with --host the certificate's names (SAN DNS or IP; *.example.com covers one label; the CN is not used). Prints OK and exits 0, or prints the reason and exits 1."
        })
public final class VerifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    VerboseMixin verbose;

    @Option(names = "--ca", required = true, paramLabel = "CA",
            description = "The CA certificate (ca.pem), or the CA folder holding it.")
    Path ca;

    @Option(names = "--host", paramLabel = "NAME", converter = Converters.HostOrAddress.class,
            description = "The host name or IP address a client connects to.")
    String host;

    @Parameters(index = "0", paramLabel = "FILE", description = "The certificate (chain) to check.")
    Path file;

    @Override
    public Integer call() {
        Path caFile = Files.isDirectory(ca) ? ca.resolve("ca.pem") : ca;
        X509Certificate caCert = Pem.readCertificates(caFile).get(0);
        if (caCert.getBasicConstraints() < 0) {
            throw new CertsException("read " + caFile, "not a CA certificate");
        }
        List<X509Certificate> chain = Pem.readCertificates(file);
        Verifier.Result result;
        try {
            result = Verifier.verify(caCert, chain, host, Instant.now());
        } catch (CertsException e) {
            throw new CertsException("verify " + file, e.reason(), e);
        }
        X509Certificate leaf = result.leaf();
        long days = Verifier.daysLeft(leaf.getNotAfter().toInstant(), Instant.now());
        StringBuilder line = new StringBuilder("OK: ").append(file).append(": ")
                .append(leaf.getSubjectX500Principal())
                .append(", issued by ").append(caCert.getSubjectX500Principal())
                .append(", valid until ").append(LocalDate.ofInstant(leaf.getNotAfter().toInstant(), ZoneOffset.UTC))
                .append(" (").append(days).append(days == 1 ? " day left)" : " days left)");
        if (host != null) {
            line.append("; ").append(host).append(" matches ").append(result.matchedName());
        }
        spec.commandLine().getOut().println(line);
        return 0;
    }
}
