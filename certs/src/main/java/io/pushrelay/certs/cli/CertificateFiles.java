package io.pushrelay.certs.cli;

import io.pushrelay.certs.CertificateText;
import io.pushrelay.certs.CertsException;
import io.pushrelay.certs.FileSet;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.bouncycastle.asn1.pkcs.EncryptedPrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.Pfx;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads whatever a certificate file holds: PEM (certificates, keys plain or encrypted, CSRs,
 * CRLs, public keys; several per file), DER (a certificate or a PKCS#8 key) or PKCS#12.
 */
final class CertificateFiles {
    /** One thing found in a file: a certificate, or a line of text describing anything else. */
    record Item(X509Certificate certificate, String text) {
        static Item of(X509Certificate certificate) {
            return new Item(certificate, null);
        }

        static Item of(String text) {
            return new Item(null, text);
        }
    }

    /** What a file held and in which format ({@code PEM}, {@code DER}, {@code PKCS#12}). */
    record Contents(String format, List<Item> items) {
    }

    private CertificateFiles() {
    }

    static Contents read(Path file, char[] password) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CertsException("read " + file, FileSet.describe(e), e);
        }
        if (bytes.length == 0) {
            throw new CertsException("read " + file, "empty file");
        }
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        if (text.contains("-----BEGIN ")) {
            return new Contents("PEM", readPem(file, text, password));
        }
        try {
            List<Item> items = new ArrayList<>();
            for (Certificate c : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(bytes))) {
                items.add(Item.of((X509Certificate) c));
            }
            if (!items.isEmpty()) {
                return new Contents("DER", items);
            }
        } catch (CertificateException | RuntimeException notACertificate) {
            // try the other formats
        }
        if (isPkcs12(bytes)) {
            return new Contents("PKCS#12", readPkcs12(file, bytes, password));
        }
        try {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(bytes);
            return new Contents("DER", List.of(Item.of(keyText(new JcaPEMKeyConverter().getPrivateKey(info),
                    "PKCS#8, not encrypted"))));
        } catch (Exception notAKey) {
            // fall through
        }
        throw new CertsException("read " + file, "not a PEM, DER or PKCS#12 file");
    }

    private static List<Item> readPem(Path file, String text, char[] password) {
        List<Item> items = new ArrayList<>();
        JcaPEMKeyConverter keys = new JcaPEMKeyConverter();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object object;
            while ((object = parser.readObject()) != null) {
                if (object instanceof X509CertificateHolder holder) {
                    items.add(Item.of(new JcaX509CertificateConverter().getCertificate(holder)));
                } else if (object instanceof PrivateKeyInfo info) {
                    items.add(Item.of(keyText(keys.getPrivateKey(info), "PKCS#8, not encrypted")));
                } else if (object instanceof PEMKeyPair pair) {
                    items.add(Item.of(keyText(keys.getKeyPair(pair).getPrivate(), "traditional format, not encrypted")));
                } else if (object instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
                    items.add(Item.of(encryptedKeyText(file, encrypted, password)));
                } else if (object instanceof PEMEncryptedKeyPair) {
                    items.add(Item.of("private key, encrypted (traditional OpenSSL format)"));
                } else if (object instanceof SubjectPublicKeyInfo info) {
                    items.add(Item.of("public key, " + CertificateText.describeKey(keys.getPublicKey(info))));
                } else if (object instanceof PKCS10CertificationRequest request) {
                    items.add(Item.of("certificate request for " + request.getSubject()));
                } else if (object instanceof X509CRLHolder crl) {
                    items.add(Item.of("certificate revocation list from " + crl.getIssuer()));
                } else {
                    items.add(Item.of("PEM object " + object.getClass().getSimpleName()));
                }
            }
        } catch (CertsException e) {
            throw e;
        } catch (Exception e) {
            throw new CertsException("read " + file, "damaged PEM (" + e.getMessage() + ")", e);
        }
        if (items.isEmpty()) {
            throw new CertsException("read " + file, "no PEM object in file");
        }
        return items;
    }

    private static String encryptedKeyText(Path file, PKCS8EncryptedPrivateKeyInfo encrypted, char[] password) {
        EncryptedPrivateKeyInfo info = encrypted.toASN1Structure();
        String scheme = PKCSObjectIdentifiers.id_PBES2.equals(info.getEncryptionAlgorithm().getAlgorithm())
                ? "PBES2" : info.getEncryptionAlgorithm().getAlgorithm().getId();
        if (password == null) {
            return "private key, encrypted (PKCS#8, " + scheme + "); give --password-file to see its type";
        }
        try {
            PrivateKeyInfo plain = encrypted.decryptPrivateKeyInfo(new JceOpenSSLPKCS8DecryptorProviderBuilder()
                    .setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider()).build(password));
            return keyText(new JcaPEMKeyConverter().getPrivateKey(plain), "PKCS#8, encrypted, " + scheme);
        } catch (Exception e) {
            throw new CertsException("unlock " + file, "wrong password", e);
        }
    }

    private static boolean isPkcs12(byte[] bytes) {
        try {
            Pfx.getInstance(bytes);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static List<Item> readPkcs12(Path file, byte[] bytes, char[] password) {
        if (password == null) {
            throw new CertsException("read " + file, "PKCS#12 file: give --password-file");
        }
        List<Item> items = new ArrayList<>();
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(bytes), password);
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    PrivateKey key = (PrivateKey) store.getKey(alias, password);
                    items.add(Item.of("entry '" + alias + "': " + keyText(key, "with its chain below")));
                    Certificate[] chain = store.getCertificateChain(alias);
                    for (Certificate c : chain == null ? new Certificate[0] : chain) {
                        items.add(Item.of((X509Certificate) c));
                    }
                } else if (store.getCertificate(alias) instanceof X509Certificate c) {
                    items.add(Item.of("entry '" + alias + "': trusted certificate"));
                    items.add(Item.of(c));
                }
            }
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new CertsException("unlock " + file, "wrong password", e);
            }
            throw new CertsException("read " + file, "damaged PKCS#12 (" + e.getMessage() + ")", e);
        } catch (Exception e) {
            throw new CertsException("read " + file, "unreadable PKCS#12 (" + e.getMessage() + ")", e);
        }
        return items;
    }

    private static String keyText(PrivateKey key, String format) {
        return "private key, " + CertificateText.describeKey(key) + " (" + format + ")";
    }
}
