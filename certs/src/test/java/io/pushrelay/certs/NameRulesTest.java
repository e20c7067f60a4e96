package io.pushrelay.certs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class NameRulesTest {
    @Test
    void ipParsingShouldNeverResolveAndShouldRefuseLegacyForms() {
        for (String bad : List.of("256.1.1.1", "1.2.3", "010.0.0.1", "1.2.3.4.5", "api.push.apple.com", "::g", "1::2::3", "")) {
            assertThrows(IllegalArgumentException.class, () -> NameRules.parseIp(bad), bad);
        }
        assertEquals("127.0.0.1", NameRules.format(NameRules.parseIp("127.0.0.1")));
        assertEquals("::1", NameRules.format(NameRules.parseIp("0:0:0:0:0:0:0:1")));
        assertEquals("2001:db8::1:0:0:1", NameRules.format(NameRules.parseIp("2001:db8:0:0:1:0:0:1")));
        assertEquals("fe80::", NameRules.format(NameRules.parseIp("fe80::")));
    }

    @Test
    void hostSyntaxShouldAcceptWildcardsAndRefuseAddressesAndBadLabels() {
        NameRules.checkHostSyntax("*.api.push.apple.com");
        NameRules.checkHostSyntax("API.Push.Apple.com");
        for (String bad : List.of("", " ", "a..b", ".a.b", "a.b.", "-a.b", "a-.b", "a.*.b", "*", "a_b.c", "1.2.3.4",
                "x".repeat(64) + ".com")) {
            assertThrows(IllegalArgumentException.class, () -> NameRules.checkHostSyntax(bad), bad);
        }
    }

    @Test
    void permitShouldRefuseLeadingDotsAndWildcards() {
        NameRules.checkPermitSyntax("relay.example.net");
        NameRules.checkPermitSyntax("10.0.0.0/8");
        NameRules.checkPermitSyntax("fd00::/8");
        assertThrows(IllegalArgumentException.class, () -> NameRules.checkPermitSyntax(".example.net"));
        assertThrows(IllegalArgumentException.class, () -> NameRules.checkPermitSyntax("*.example.net"));
        assertThrows(IllegalArgumentException.class, () -> NameRules.checkPermitSyntax("10.0.0.0/33"));
    }

    @Test
    void defaultCaShouldPermitGatewaysTheirSubdomainsAndLoopbackOnly() {
        CertificateAuthority ca = CertificateAuthority.create(CertificateAuthority.Options.defaults());
        NameRules rules = NameRules.of(ca.certificate());
        for (String ok : List.of("api.push.apple.com", "API.PUSH.APPLE.COM", "x.fcm.googleapis.com", "*.api.push.apple.com")) {
            rules.check(ok, false);
        }
        for (String outside : List.of("push.apple.com", "evilapi.push.apple.com", "googleapis.com", "*.push.apple.com")) {
            assertThrows(CertsException.class, () -> rules.check(outside, false), outside);
        }
        rules.check("127.10.0.1", true);
        rules.check("::1", true);
        CertsException e = assertThrows(CertsException.class, () -> rules.check("::2", true));
        assertTrue(e.reason().contains("permitted ranges: 127.0.0.0/8, ::1/128"), e.getMessage());
    }

    @Test
    void unconstrainedCaShouldPermitAnything() {
        CertificateAuthority ca = CertificateAuthority.create(
                CertificateAuthority.Options.defaults().withNameConstraints(false));
        assertTrue(ca.permittedNames().isEmpty());
        Leaf leaf = ca.issueServer(CertificateAuthority.LeafOptions.server("www.example.com").withIps("10.0.0.1"));
        assertEquals(List.of("DNS:www.example.com", "IP:10.0.0.1"), CertificateText.subjectAltNames(leaf.certificate()));
    }
}
