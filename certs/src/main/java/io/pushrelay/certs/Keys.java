package io.pushrelay.certs;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;

/** Key helpers. */
public final class Keys {
    private Keys() {
    }

    /** True when the private key belongs to the public key (sign, then verify). */
    public static boolean matches(PublicKey publicKey, PrivateKey privateKey) {
        try {
            String algorithm = KeyType.signatureAlgorithmFor(publicKey);
            byte[] probe = "push-relay key match".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(privateKey);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | CertsException e) {
            return false;
        }
    }
}
