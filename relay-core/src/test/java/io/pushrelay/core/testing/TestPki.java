package io.pushrelay.core.testing;

import io.pushrelay.certs.CertificateAuthority;
import io.pushrelay.certs.Leaf;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Fresh PKI for a test, made with our own {@code certs} API: a CA and leaves written as PEM
 * files into a folder. Nothing checked in.
 */
public final class TestPki {
    private final Path dir;
    private final CertificateAuthority ca;

    private TestPki(Path dir, CertificateAuthority ca) {
        this.dir = dir;
        this.ca = ca;
    }

    /** A name-constrained CA (push gateway names, loopback, plus {@code permit}) in {@code dir}. */
    public static TestPki create(Path dir, String caName, String... permit) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CertificateAuthority ca = CertificateAuthority.create(
                CertificateAuthority.Options.defaults().withName(caName).withPermit(List.of(permit)));
        ca.save(dir, null, true);
        return new TestPki(dir, ca);
    }

    /**
     * A CA without name constraints in {@code dir}: a TLS-inspecting proxy's own CA, which signs
     * certificates for whatever name a client connects to (see {@link Squid.Builder#sslBump}).
     */
    public static TestPki createUnconstrained(Path dir, String caName) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CertificateAuthority ca = CertificateAuthority.create(
                CertificateAuthority.Options.defaults().withName(caName).withNameConstraints(false));
        ca.save(dir, null, true);
        return new TestPki(dir, ca);
    }

    public CertificateAuthority ca() {
        return ca;
    }

    public Path caPem() {
        return dir.resolve("ca.pem");
    }

    /** The CA's private key (PKCS#8 PEM, not encrypted). */
    public Path caKey() {
        return dir.resolve("ca.key");
    }

    /** A server certificate for the hosts plus 127.0.0.1 and ::1: {@code base.pem} (chain) and {@code base.key}. */
    public LeafFiles server(String base, String... hosts) {
        Leaf leaf = ca.issueServer(CertificateAuthority.LeafOptions.server(hosts).withIps("127.0.0.1", "::1"));
        leaf.save(dir, base, "changeit".toCharArray(), true);
        return new LeafFiles(dir.resolve(base + ".pem"), dir.resolve(base + ".key"), dir.resolve(base + ".p12"), leaf);
    }

    /** A client certificate named {@code name}; PKCS#12 password {@code changeit}. */
    public LeafFiles client(String name) {
        Leaf leaf = ca.issueClient(CertificateAuthority.LeafOptions.client(name));
        leaf.save(dir, name, "changeit".toCharArray(), true);
        return new LeafFiles(dir.resolve(name + ".pem"), dir.resolve(name + ".key"), dir.resolve(name + ".p12"), leaf);
    }

    /** The files of one leaf. */
    public record LeafFiles(Path chain, Path key, Path p12, Leaf leaf) {
        public List<Path> all() {
            return new ArrayList<>(List.of(chain, key, p12));
        }
    }
}
