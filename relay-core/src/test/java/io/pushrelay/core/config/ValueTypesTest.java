package io.pushrelay.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ValueTypesTest {
    @Test
    void durationsShouldReadEveryUnitAndSums() {
        assertEquals(Duration.ofMillis(500), Durations.parse("500ms"));
        assertEquals(Duration.ofSeconds(10), Durations.parse("10s"));
        assertEquals(Duration.ofMinutes(5), Durations.parse("5m"));
        assertEquals(Duration.ofHours(2), Durations.parse("2h"));
        assertEquals(Duration.ofDays(1), Durations.parse("1d"));
        assertEquals(Duration.ofSeconds(90), Durations.parse("1m30s"));
        assertEquals(Duration.ofMillis(1500), Durations.parse(" 1s500ms "));
        assertEquals(Duration.ZERO, Durations.parse("0s"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10", "10 s", "s", "-5s", "1.5s", "10sec", "5M", "1m30", "", "9999999999s", "400d"})
    void durationsShouldRefuseAnythingElse(String text) {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> Durations.parse(text));
        assertEquals("", e.key());
    }

    @Test
    void aBareNumberShouldBeToldToAddAUnit() {
        assertTrue(assertThrows(InvalidValueException.class, () -> Durations.parse("30")).problem().contains("30s or 30ms"));
    }

    @Test
    void durationsShouldFormatShortestAndReadBack() {
        for (String s : new String[] {"500ms", "10s", "5m", "1m30s", "1h", "1d2h3m4s5ms", "0s"}) {
            assertEquals(s, Durations.format(Durations.parse(s)));
        }
        assertEquals("1m", Durations.format(Duration.ofSeconds(60)));
    }

    @Test
    void hostPortShouldReadNamesIpv4AndBracketedIpv6() {
        assertEquals(new HostPort("api.push.apple.com", 443), HostPort.parse("api.push.apple.com:443"));
        assertEquals(new HostPort("api.push.apple.com", 443), HostPort.parse("API.Push.Apple.COM:443"));
        assertEquals(new HostPort("10.0.0.5", 8443), HostPort.parse("10.0.0.5:8443"));
        HostPort v6 = HostPort.parse("[::1]:443");
        assertEquals("::1", v6.host());
        assertEquals("[::1]:443", v6.toString());
        assertEquals("[2001:db8::1]:8443", HostPort.parse("[2001:DB8:0:0:0:0:0:1]:8443").toString());
        assertEquals(0, HostPort.parse("127.0.0.1:0").port());
        assertTrue(HostPort.parse("[::]:443").isIpLiteral());
        assertFalse(HostPort.parse("localhost:1").isIpLiteral());
    }

    @Test
    void anIpLiteralShouldBecomeASocketAddressWithoutDns() throws Exception {
        java.net.InetSocketAddress v6 = HostPort.parse("[::1]:8443").toSocketAddress();
        assertFalse(v6.isUnresolved());
        assertEquals(InetAddress.getByName("::1"), v6.getAddress());
        assertEquals(8443, v6.getPort());
        assertEquals("127.0.0.1:41234", HostPort.parse("127.0.0.1:0").withPort(41234).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"api.push.apple.com", "api.push.apple.com:", ":443", "host:65536", "host:-1", "host:44a",
        "::1:443", "[::1]443", "[::1", "[10.0.0.1]:443", "[zz::1]:443", "bad_host:443", "-a.com:443", "1.2.3:443",
        "256.1.1.1:443", "a..b:443", "127.1:80"})
    void hostPortShouldRefuseMalformed(String text) {
        assertThrows(InvalidValueException.class, () -> HostPort.parse(text));
    }

    @Test
    void hostPortErrorsShouldSayWhatIsWrong() {
        assertTrue(assertThrows(InvalidValueException.class, () -> HostPort.parse("::1:443")).problem().contains("[::1]:443"));
        assertTrue(assertThrows(InvalidValueException.class, () -> HostPort.parse("h:99999")).problem()
                .contains("between 0 and 65535"));
        assertTrue(assertThrows(InvalidValueException.class, () -> HostPort.parse("h")).problem().contains("no port"));
    }

    @Test
    void cidrShouldMatchItsRangeOnly() throws Exception {
        Cidr ten = Cidr.parse("10.0.0.0/8");
        assertTrue(ten.contains(InetAddress.getByName("10.255.1.2")));
        assertFalse(ten.contains(InetAddress.getByName("11.0.0.1")));
        assertFalse(ten.contains(InetAddress.getByName("::1")));
        Cidr twelve = Cidr.parse("172.16.0.0/12");
        assertTrue(twelve.contains(InetAddress.getByName("172.31.255.255")));
        assertFalse(twelve.contains(InetAddress.getByName("172.32.0.0")));
        Cidr loop6 = Cidr.parse("::1/128");
        assertTrue(loop6.contains(InetAddress.getByName("::1")));
        assertFalse(loop6.contains(InetAddress.getByName("::2")));
        assertFalse(loop6.contains(InetAddress.getByName("127.0.0.1")));
        Cidr ula = Cidr.parse("fc00::/7");
        assertTrue(ula.contains(InetAddress.getByName("fd12:3456::1")));
        assertFalse(ula.contains(InetAddress.getByName("fe80::1")));
        assertTrue(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("8.8.8.8")));
        assertTrue(Cidr.parse("::/0").contains(InetAddress.getByName("2001:db8::1")));
        assertEquals(32, Cidr.parse("192.0.2.7").prefixLength());
        assertTrue(Cidr.parse("192.0.2.7").contains(InetAddress.getByName("192.0.2.7")));
        assertFalse(Cidr.parse("192.0.2.7").contains(InetAddress.getByName("192.0.2.8")));
        assertEquals(128, Cidr.parse("2001:db8::7").prefixLength());
    }

    @Test
    void anIpv4MappedIpv6SourceShouldMatchAnIpv4Range() throws Exception {
        byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xff;
        mapped[11] = (byte) 0xff;
        mapped[12] = 10;
        mapped[15] = 7;
        // getByAddress would hand back an Inet4Address; build the Inet6Address a dual-stack socket reports.
        InetAddress v6 = java.net.Inet6Address.getByAddress(null, mapped, -1);
        assertTrue(v6 instanceof java.net.Inet6Address);
        assertTrue(Cidr.parse("10.0.0.0/8").contains(v6));
        assertFalse(Cidr.parse("192.168.0.0/16").contains(v6));
    }

    @Test
    void cidrShouldPrintCanonically() {
        assertEquals("10.0.0.0/8", Cidr.parse("10.0.0.0/8").toString());
        assertEquals("2001:db8::/32", Cidr.parse("2001:DB8:0::/32").toString());
        assertEquals("::1/128", Cidr.parse("::1").toString());
        assertEquals("::/0", Cidr.parse("::/0").toString());
        assertEquals("fe80::1:0:0:1/128", Cidr.parse("fe80:0:0:0:1:0:0:1").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8", "nope", "10.0.0.0/8/8",
        "example.com/8", "", "fe80::1%eth0/64"})
    void cidrShouldRefuseMalformed(String text) {
        assertThrows(InvalidValueException.class, () -> Cidr.parse(text));
    }

    @Test
    void cidrWithHostBitsShouldSuggestTheNetwork() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> Cidr.parse("10.1.2.3/8"));
        assertTrue(e.problem().contains("did you mean 10.0.0.0/8?"), e.problem());
        e = assertThrows(InvalidValueException.class, () -> Cidr.parse("2001:db8::1/32"));
        assertEquals("host bits set in 2001:db8::1/32 (did you mean 2001:db8::/32?)", e.problem());
    }

    @Test
    void endpointUrlShouldSplitUserPasswordAndAddress() {
        EndpointUrl u = EndpointUrl.parse("http://relay:s%40cr%3At@proxy.corp:3128");
        assertFalse(u.tls());
        assertEquals("relay", u.user());
        assertEquals("s@cr:t", u.password());
        assertEquals(new HostPort("proxy.corp", 3128), u.address());
        assertEquals("http://relay:REDACTED@proxy.corp:3128", u.toString());
        assertEquals("http://relay:s%40cr%3At@proxy.corp:3128", u.render(false));
        EndpointUrl v6 = EndpointUrl.parse("HTTPS://[::1]:8443/");
        assertTrue(v6.tls());
        assertNull(v6.user());
        assertEquals("https://[::1]:8443", v6.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"proxy:3128", "socks5://proxy:1080", "http://proxy", "http://proxy:0", "http://proxy:3128/path",
        "http://proxy:3128?x=1", "http://:3128", "http://pro xy:3128", "http://u:p@ss@proxy:3128"})
    void endpointUrlShouldRefuseOtherShapes(String text) {
        assertThrows(InvalidValueException.class, () -> EndpointUrl.parse(text));
    }
}
