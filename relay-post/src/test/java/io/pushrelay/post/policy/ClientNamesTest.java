package io.pushrelay.post.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.pushrelay.certs.CertificateAuthority;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.testing.Requests;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Client certificate names as our certificate tool issues them, and the allow-list over them. */
class ClientNamesTest {
    static CertificateAuthority ca;
    static X509Certificate oneLabel;
    static X509Certificate dotted;

    @BeforeAll
    static void setUp() {
        ca = CertificateAuthority.create(CertificateAuthority.Options.defaults().withName("names CA")
                .withPermit(List.of("corp.example")));
        oneLabel = ca.issueClient(CertificateAuthority.LeafOptions.client("relay-pre")).certificate();
        dotted = ca.issueClient(CertificateAuthority.LeafOptions.client("Legacy-Proxy.corp.example")).certificate();
    }

    @Test
    void oneLabelNameShouldComeFromTheUrnAndTheCn() {
        assertEquals(List.of("relay-pre"), ClientNames.of(oneLabel));
    }

    @Test
    void dottedNameShouldComeFromTheDnsSanLowerCased() {
        assertEquals(List.of("legacy-proxy.corp.example"), ClientNames.of(dotted));
    }

    @Test
    void noCertificateShouldNameNobody() {
        assertEquals(List.of(), ClientNames.of(null));
    }

    private static Downstream with(X509Certificate certificate) {
        return new Downstream(new InetSocketAddress("127.0.0.1", 40000), "c0ffee00", "post", certificate);
    }

    @Test
    void allowListShouldMatchAnyNameCaseInsensitively() {
        AllowedClients rule = new AllowedClients(List.of("LEGACY-PROXY.corp.example", "relay-pre"));
        RelayRequest request = Requests.apns("{}");
        try {
            assertNull(rule.check(request, with(oneLabel)));
            assertNull(rule.check(request, with(dotted)));
            rule.update(List.of("someone-else"));
            assertSame(RelayError.CLIENT_NOT_ALLOWED, rule.check(request, with(oneLabel)));
            assertSame(RelayError.CLIENT_NOT_ALLOWED, rule.check(request, with(null)));
            assertEquals(2, rule.refused());
            rule.update(List.of());
            assertNull(rule.check(request, with(null)), "no names: any verified certificate (or none asked)");
        } finally {
            request.release();
        }
    }
}
