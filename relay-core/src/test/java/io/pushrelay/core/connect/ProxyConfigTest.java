package io.pushrelay.core.connect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProxyConfigTest {
    @Test
    void parsesPlainProxyWithoutUser() {
        ProxyConfig p = ProxyConfig.parse("http://proxy.corp.example:3128");
        assertFalse(p.tls());
        assertEquals("proxy.corp.example", p.host());
        assertEquals(3128, p.port());
        assertEquals(Optional.empty(), p.user());
        assertEquals("none", p.authScheme());
        assertEquals("proxy.corp.example:3128", p.address());
        assertEquals(Optional.empty(), p.authorization());
    }

    @Test
    void parsesTlsProxyWithUserAndSeparatePassword() {
        ProxyConfig p = ProxyConfig.parse("https://relay@10.0.0.5:8443/").withPassword("pa:ss wörd");
        assertTrue(p.tls());
        assertEquals("basic", p.authScheme());
        assertEquals("https://10.0.0.5:8443", p.address());
        // RFC 7617: base64(user ":" password), UTF-8.
        assertEquals(Optional.of("Basic cmVsYXk6cGE6c3Mgd8O2cmQ="), p.authorization());
    }

    @Test
    void bracketsIpv6Literals() {
        ProxyConfig p = ProxyConfig.parse("http://[::1]:3128");
        assertEquals("::1", p.host());
        assertEquals("[::1]:3128", p.address());
    }

    @Test
    void toStringNeverShowsThePassword() {
        String text = ProxyConfig.parse("http://alice@proxy:3128").withPassword("hunter2").toString();
        assertFalse(text.contains("hunter2"), text);
        assertEquals("http://alice@proxy:3128 (password set)", text);
    }

    @Test
    void refusesWhatIsNotAProxyUrl() {
        assertEquals("proxy URL 'http://proxy' has no port (e.g. http://proxy:3128)",
                assertThrows(IllegalArgumentException.class, () -> ProxyConfig.parse("http://proxy")).getMessage());
        assertEquals("proxy URL must not carry a password; give it separately",
                assertThrows(IllegalArgumentException.class,
                        () -> ProxyConfig.parse("http://a:b@proxy:3128")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ProxyConfig.parse("socks5://proxy:1080"))
                .getMessage().contains("scheme must be http or https"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ProxyConfig.parse("http://proxy:3128/x"))
                .getMessage().contains("must not have a path"));
        assertThrows(IllegalArgumentException.class, () -> ProxyConfig.parse(" "));
    }
}
