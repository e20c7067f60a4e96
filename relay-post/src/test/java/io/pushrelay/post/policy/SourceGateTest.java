package io.pushrelay.post.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.core.config.Cidr;
import io.pushrelay.core.testing.LogCapture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The gate at accept: source ranges, connections per client, what it logs. */
class SourceGateTest {
    private static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    @Test
    void onlyAddressesInTheRangesShouldBeAdmittedIpv4MappedIncluded() {
        SourceGate gate = new SourceGate(List.of(Cidr.parse("10.1.2.3"), Cidr.parse("fd00::/8")), 64);
        assertTrue(gate.admit(at("10.1.2.3", 1)));
        assertTrue(gate.admit(at("::ffff:10.1.2.3", 1)), "a dual-stack socket's view of 10.1.2.3");
        assertTrue(gate.admit(at("fd12::1", 1)));
        assertFalse(gate.admit(at("10.1.2.4", 1)));
        assertFalse(gate.admit(at("127.0.0.1", 1)));
        assertFalse(gate.admit(null));
        assertEquals(3, gate.sourceRefused());
    }

    @Test
    void aClientShouldHoldAtMostItsLimitAndGetRoomBackAsConnectionsClose() throws Exception {
        SourceGate gate = new SourceGate(List.of(Cidr.parse("10.0.0.0/8")), 2);
        assertTrue(gate.admit(at("10.0.0.1", 1)));
        assertTrue(gate.admit(at("10.0.0.1", 2)));
        assertFalse(gate.admit(at("10.0.0.1", 3)));
        assertTrue(gate.admit(at("10.0.0.2", 1)), "another client has its own count");
        assertEquals(2, gate.openFrom(InetAddress.getByName("10.0.0.1")));
        gate.closed(at("10.0.0.1", 1));
        assertTrue(gate.admit(at("10.0.0.1", 4)));
        gate.closed(at("10.0.0.1", 2));
        gate.closed(at("10.0.0.1", 4));
        gate.closed(at("10.0.0.2", 1));
        assertEquals(0, gate.openFrom(InetAddress.getByName("10.0.0.1")));
        assertEquals(1, gate.limitRefused());
    }

    @Test
    void updateShouldKeepTheOpenCounts() throws Exception {
        SourceGate gate = new SourceGate(List.of(Cidr.parse("10.0.0.0/8")), 3);
        assertTrue(gate.admit(at("10.0.0.1", 1)));
        assertTrue(gate.admit(at("10.0.0.1", 2)));
        gate.update(List.of(Cidr.parse("10.0.0.0/8")), 2);
        assertFalse(gate.admit(at("10.0.0.1", 3)));
        gate.update(List.of(Cidr.parse("192.168.0.0/16")), 2);
        assertFalse(gate.admit(at("10.0.0.9", 1)));
        assertEquals(2, gate.openFrom(InetAddress.getByName("10.0.0.1")));
    }

    @Test
    void refusalsShouldLogOneLineThenHoldBack() {
        try (LogCapture log = LogCapture.of(SourceGate.class)) {
            SourceGate gate = new SourceGate(List.of(Cidr.parse("10.0.0.0/8")), 1);
            for (int i = 0; i < 5; i++) {
                gate.admit(at("192.0.2.1", 1000 + i));
            }
            assertEquals(List.of("refused 192.0.2.1:1000 at accept: source not in allow-sources (10.0.0.0/8)"),
                    log.messages());
            assertEquals(5, gate.sourceRefused());
        }
    }
}
