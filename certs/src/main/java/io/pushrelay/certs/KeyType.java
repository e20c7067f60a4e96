package io.pushrelay.certs;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The key algorithms the CA makes, named as on the command line ({@code ec-p256}, ...). */
public enum KeyType {
    EC_P256("ec-p256", "EC", "secp256r1", 0, "SHA256withECDSA"),
    EC_P384("ec-p384", "EC", "secp384r1", 0, "SHA384withECDSA"),
    RSA_2048("rsa-2048", "RSA", null, 2048, "SHA256withRSA"),
    RSA_3072("rsa-3072", "RSA", null, 3072, "SHA256withRSA"),
    RSA_4096("rsa-4096", "RSA", null, 4096, "SHA384withRSA");

    private final String cliName;
    private final String algorithm;
    private final String curve;
    private final int bits;
    private final String signatureAlgorithm;

    KeyType(String cliName, String algorithm, String curve, int bits, String signatureAlgorithm) {
        this.cliName = cliName;
        this.algorithm = algorithm;
        this.curve = curve;
        this.bits = bits;
        this.signatureAlgorithm = signatureAlgorithm;
    }

    public String cliName() {
        return cliName;
    }

    /** The JCA signature algorithm a key of this type signs with. */
    public String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    public KeyPair generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            if (curve != null) {
                generator.initialize(new ECGenParameterSpec(curve), new SecureRandom());
            } else {
                generator.initialize(bits, new SecureRandom());
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new CertsException("generate " + cliName + " key", e.getMessage(), e);
        }
    }

    /** Parses a command-line name; the error lists the accepted ones. */
    public static KeyType parse(String name) {
        String wanted = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (KeyType type : values()) {
            if (type.cliName.equals(wanted)) {
                return type;
            }
        }
        throw new IllegalArgumentException("unknown key type '" + name + "' (use one of: " + names() + ")");
    }

    public static String names() {
        return Arrays.stream(values()).map(KeyType::cliName).collect(Collectors.joining(", "));
    }

    /** The signature algorithm for an existing (issuer) public key. */
    public static String signatureAlgorithmFor(PublicKey key) {
        return of(key).signatureAlgorithm;
    }

    /** Describes an existing key, e.g. {@code EC P-256} or {@code RSA 2048}. */
    public static String describe(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            return "RSA " + rsa.getModulus().bitLength();
        }
        if (key instanceof ECPublicKey ec) {
            int size = ec.getParams().getCurve().getField().getFieldSize();
            return "EC P-" + size;
        }
        return key.getAlgorithm();
    }

    static KeyType of(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            return bits >= 4096 ? RSA_4096 : bits >= 3072 ? RSA_3072 : RSA_2048;
        }
        if (key instanceof ECPublicKey ec) {
            return ec.getParams().getCurve().getField().getFieldSize() > 256 ? EC_P384 : EC_P256;
        }
        throw new CertsException("read key", "unsupported key algorithm " + key.getAlgorithm());
    }
}
