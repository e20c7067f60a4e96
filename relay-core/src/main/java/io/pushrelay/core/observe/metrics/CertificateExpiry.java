package io.pushrelay.core.observe.metrics;

import io.pushrelay.certs.Pem;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One certificate the relay uses, for {@code push_relay_certificate_expiry_days{file,subject}}.
 *
 * @param file     the file it was read from, as configured (the {@code file} label)
 * @param subject  its subject, RFC 2253 (the {@code subject} label)
 * @param notAfter the end of its validity
 */
public record CertificateExpiry(String file, String subject, Instant notAfter) {
    private static final double SECONDS_PER_DAY = 86_400.0;

    public CertificateExpiry {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(notAfter, "notAfter");
    }

    /** The certificate's file, subject and end of validity. */
    public static CertificateExpiry of(String file, X509Certificate certificate) {
        return new CertificateExpiry(file, certificate.getSubjectX500Principal().getName(),
                certificate.getNotAfter().toInstant());
    }

    /**
     * Every certificate in a PEM (or DER) file, leaf and intermediates alike: an intermediate
     * that expires first breaks the chain just the same.
     *
     * @throws io.pushrelay.certs.CertsException when the file cannot be read or holds no certificate
     */
    public static List<CertificateExpiry> readFile(Path file) {
        return Pem.readCertificates(file).stream().map(c -> of(file.toString(), c)).toList();
    }

    /** Days from {@code now} to {@code notAfter}, fractional; negative once expired. */
    public double daysLeft(Instant now) {
        return Duration.between(now, notAfter).toMillis() / 1000.0 / SECONDS_PER_DAY;
    }
}
