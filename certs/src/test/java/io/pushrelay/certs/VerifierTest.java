package io.pushrelay.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

class VerifierTest {
    private static final CertificateAuthority CA = CertificateAuthority.create(CertificateAuthority.Options.defaults());

    @Test
    void wildcardShouldCoverExactlyOneLeftLabel() {
        assertTrue(Verifier.hostMatches("*.push.apple.com", "api.push.apple.com"));
        assertTrue(Verifier.hostMatches("API.push.apple.com", "api.PUSH.apple.com."));
        assertFalse(Verifier.hostMatches("*.push.apple.com", "push.apple.com"));
        assertFalse(Verifier.hostMatches("*.push.apple.com", "a.api.push.apple.com"));
        assertFalse(Verifier.hostMatches("api.push.apple.com", "api.push.apple.co"));
    }

    /**
     * Why Verifier checks the CA's name constraints itself: the JDK's PKIX validator does not
     * apply those of a trust anchor. Should a JDK start to, this test says so.
     */
    @Test
    void jdkPkixShouldIgnoreTrustAnchorNameConstraints() throws Exception {
        X509Certificate forged = forge("www.example.com");
        PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(CA.certificate(), null)));
        parameters.setRevocationEnabled(false);
        CertPathValidator.getInstance("PKIX").validate(
                CertificateFactory.getInstance("X.509").generateCertPath(List.of(forged)), parameters);

        CertsException e = assertThrows(CertsException.class,
                () -> Verifier.verify(CA.certificate(), List.of(forged), null, Instant.now()));
        assertTrue(e.reason().startsWith("DNS:www.example.com is outside the CA's name constraints"), e.getMessage());
    }

    @Test
    void expiredLeafShouldBeNamedAsExpired() {
        Leaf leaf = CA.issueServer(CertificateAuthority.LeafOptions.server("api.push.apple.com").withDays(1));
        CertsException e = assertThrows(CertsException.class, () -> Verifier.verify(CA.certificate(),
                leaf.chain(), null, Instant.now().plus(Duration.ofDays(3))));
        assertTrue(e.reason().startsWith("certificate expired on "), e.getMessage());
    }

    @Test
    void chainWithTheCaShouldVerifyAndMatchAnAddress() {
        Leaf leaf = CA.issueServer(CertificateAuthority.LeafOptions.server("api.push.apple.com").withIps("::1"));
        assertEquals("IP:::1", Verifier.verify(CA.certificate(), leaf.chain(), "0:0:0:0:0:0:0:1", Instant.now())
                .matchedName());
    }

    private static X509Certificate forge(String host) throws Exception {
        KeyPair keys = KeyType.EC_P256.generate();
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(CA.certificate(), BigInteger.TEN,
                Date.from(now.minusSeconds(60)), Date.from(now.plus(Duration.ofDays(1))), new X500Name("CN=" + host),
                keys.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false,
                new GeneralNames(new GeneralName(GeneralName.dNSName, host)));
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(CA.privateKey())));
    }
}
