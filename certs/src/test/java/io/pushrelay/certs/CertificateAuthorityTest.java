package io.pushrelay.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateAuthorityTest {
    @TempDir
    Path dir;

    @Test
    void oneLabelClientShouldGetAUrnAndDottedClientADnsName() {
        CertificateAuthority ca = CertificateAuthority.create(
                CertificateAuthority.Options.defaults().withPermit(List.of("relay.example.net")));
        Leaf urn = ca.issueClient(CertificateAuthority.LeafOptions.client("relay-pre"));
        assertEquals(List.of("URI:urn:push-relay:client:relay-pre"), CertificateText.subjectAltNames(urn.certificate()));
        Leaf dns = ca.issueClient(CertificateAuthority.LeafOptions.client("pre.relay.example.net"));
        assertEquals(List.of("DNS:pre.relay.example.net"), CertificateText.subjectAltNames(dns.certificate()));
        assertThrows(CertsException.class,
                () -> ca.issueClient(CertificateAuthority.LeafOptions.client("pre.example.org")));
    }

    @Test
    void addressOnlyServerShouldGetACommonNameNoVerifierReadsAsAHost() {
        CertificateAuthority ca = CertificateAuthority.create(CertificateAuthority.Options.defaults());
        Leaf leaf = ca.issueServer(new CertificateAuthority.LeafOptions(null, List.of(), List.of("127.0.0.1"),
                KeyType.EC_P256, 30));
        assertEquals("CN=push-relay server (127.0.0.1), O=push-relay",
                leaf.certificate().getSubjectX500Principal().toString());
    }

    @Test
    void leafShouldNeverOutliveItsCa() {
        CertificateAuthority ca = CertificateAuthority.create(CertificateAuthority.Options.defaults().withDays(10));
        Leaf leaf = ca.issueServer(CertificateAuthority.LeafOptions.server("api.push.apple.com").withDays(397));
        assertFalse(leaf.certificate().getNotAfter().after(ca.certificate().getNotAfter()));
    }

    @Test
    void savedCaShouldLoadWithItsPassphraseOnly() {
        CertificateAuthority ca = CertificateAuthority.create(CertificateAuthority.Options.defaults());
        ca.save(dir, "s3cret".toCharArray(), false);
        assertEquals(ca.certificate(), CertificateAuthority.load(dir, "s3cret".toCharArray()).certificate());
        CertsException wrong = assertThrows(CertsException.class, () -> CertificateAuthority.load(dir, "nope".toCharArray()));
        assertEquals("wrong passphrase", wrong.reason());
        assertThrows(CertsException.class, () -> ca.save(dir, null, false));
    }

    @Test
    void permitShouldBeMeaninglessWithoutConstraints() {
        assertThrows(IllegalArgumentException.class, () -> CertificateAuthority.Options.defaults()
                .withPermit(List.of("example.com")).withNameConstraints(false));
    }
}
