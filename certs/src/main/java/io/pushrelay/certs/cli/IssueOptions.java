package io.pushrelay.certs.cli;

import io.pushrelay.certs.CertificateAuthority;
import io.pushrelay.certs.KeyType;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options {@code server create} and {@code client create} share. */
public final class IssueOptions {
    @Option(names = "--ca", required = true, paramLabel = "DIR",
            description = "The CA folder, holding ca.pem and ca.key.")
    Path ca;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Where to write the files; created (0700) when missing.")
    Path out;

    @Option(names = "--days", paramLabel = "N", converter = Converters.Days.class,
            defaultValue = "" + CertificateAuthority.DEFAULT_LEAF_DAYS,
            description = "Validity in days (default: ${DEFAULT-VALUE}, the CA/Browser Forum limit;"
                    + " never past the CA's own end).")
    int days;

    @Option(names = "--key-type", paramLabel = "TYPE", converter = Converters.KeyTypes.class,
            defaultValue = "ec-p256",
            description = "ec-p256 (default), ec-p384, rsa-2048, rsa-3072 or rsa-4096.")
    KeyType keyType;

    @Option(names = "--p12", description = "Also write BASE.p12 (key and chain, PKCS#12, 0600).")
    boolean p12;

    @Option(names = "--p12-password-file", paramLabel = "FILE",
            description = "The PKCS#12 password: first line of FILE. Implies --p12.")
    Path p12PasswordFile;

    @Option(names = "--passphrase-file", paramLabel = "FILE",
            description = "The passphrase of an encrypted ca.key: first line of FILE.")
    Path passphraseFile;

    @Option(names = "--force", description = "Overwrite existing files.")
    boolean force;
}
