package io.pushrelay.certs;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;

/** PEM encoding and decoding of certificates and PKCS#8 private keys (encrypted or not). */
public final class Pem {
    /** PBKDF2 rounds for encrypted keys (OWASP 2023 guidance for PBKDF2-HMAC-SHA256). */
    private static final int PBKDF2_ITERATIONS = 600_000;
    /** BouncyCastle's provider, used directly and never registered JVM-wide. */
    static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();

    private Pem() {
    }

    public static byte[] certificates(List<X509Certificate> chain) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            for (X509Certificate certificate : chain) {
                writer.writeObject(certificate);
            }
        } catch (IOException e) {
            throw new CertsException("encode certificate", e.getMessage(), e);
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** PKCS#8 PEM; encrypted with AES-256-CBC and PBKDF2-HMAC-SHA256 when a passphrase is given. */
    public static byte[] privateKey(PrivateKey key, char[] passphrase) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            OutputEncryptor encryptor = null;
            if (passphrase != null) {
                encryptor = new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.AES_256_CBC)
                        .setPRF(org.bouncycastle.openssl.PKCS8Generator.PRF_HMACSHA256)
                        .setIterationCount(PBKDF2_ITERATIONS)
                        .setPassword(passphrase)
                        .setProvider(BC)
                        .build();
            }
            writer.writeObject(new JcaPKCS8Generator(key, encryptor));
        } catch (Exception e) {
            throw new CertsException("encode private key", e.getMessage(), e);
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }

    public static List<X509Certificate> readCertificates(Path file) {
        byte[] bytes = read(file);
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            List<X509Certificate> out = new ArrayList<>();
            for (var c : factory.generateCertificates(new ByteArrayInputStream(bytes))) {
                out.add((X509Certificate) c);
            }
            if (out.isEmpty()) {
                throw new CertsException("read " + file, "no certificate in file");
            }
            return out;
        } catch (CertificateException e) {
            throw new CertsException("read " + file, "not a PEM or DER certificate (" + e.getMessage() + ")");
        }
    }

    /** Reads a private key: PKCS#8 (plain or encrypted), or a traditional PEM key pair. */
    public static PrivateKey readPrivateKey(Path file, char[] passphrase) {
        String text = new String(read(file), StandardCharsets.US_ASCII);
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object object;
            while ((object = parser.readObject()) != null) {
                if (object instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (object instanceof PEMKeyPair pair) {
                    return converter.getKeyPair(pair).getPrivate();
                }
                if (object instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
                    if (passphrase == null) {
                        throw new CertsException("read " + file, "key is encrypted (give --passphrase-file)");
                    }
                    try {
                        PrivateKeyInfo info = encrypted.decryptPrivateKeyInfo(
                                new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(BC).build(passphrase));
                        // CBC padding lets about one wrong passphrase in 256 through; the
                        // structure check below catches it, and must report the same cause.
                        return converter.getPrivateKey(info);
                    } catch (PKCSException | RuntimeException | java.io.IOException e) {
                        throw new CertsException("unlock " + file, "wrong passphrase", e);
                    }
                }
            }
        } catch (CertsException e) {
            throw e;
        } catch (Exception e) {
            throw new CertsException("read " + file, "not a PEM private key (" + e.getMessage() + ")");
        }
        throw new CertsException("read " + file, "no private key in file");
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CertsException("read " + file, FileSet.describe(e));
        }
    }
}
