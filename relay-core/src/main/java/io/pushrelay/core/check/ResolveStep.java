package io.pushrelay.core.check;

import io.netty.util.NetUtil;
import io.pushrelay.core.config.HostPort;
import io.pushrelay.core.config.PreConfig;
import io.pushrelay.core.connect.HostResolver;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The {@code resolve} step (relay-pre): each route name resolves to this relay, which is what the
 * push service's {@code /etc/hosts} redirection ({@code scripts/hosts-redirect.sh}) must achieve.
 * Every address must be this host's (a local interface address or loopback), and the listener's
 * own address when it listens on one address only: an address elsewhere would let the push
 * service bypass the relay.
 */
final class ResolveStep {
    private ResolveStep() {
    }

    static void run(PreConfig config, HostResolver resolver, CheckReport report) {
        HostPort listen = config.listen();
        InetAddress listenAddress = literal(listen.host());
        boolean wildcard = listenAddress == null || listenAddress.isAnyLocalAddress();
        String fix = "on the push service's host: scripts/hosts-redirect.sh add " + relayIp(listenAddress, wildcard)
                + " " + String.join(" ", config.routes().keySet())
                + (wildcard ? " (this host's first address; use the one the push service reaches)" : "")
                + ", then scripts/hosts-redirect.sh status";
        for (String name : config.routes().keySet()) {
            String label = "resolve " + name;
            List<InetAddress> addresses;
            try {
                addresses = resolver.resolve(name);
            } catch (UnknownHostException | RuntimeException e) {
                report.fail(RoleCheck.RESOLVE, label + ": does not resolve here (not in /etc/hosts, not in DNS)", fix);
                continue;
            }
            List<String> elsewhere = new ArrayList<>();
            List<String> shown = new ArrayList<>();
            for (InetAddress a : addresses) {
                String text = NetUtil.toAddressString(a);
                shown.add(text);
                boolean ours = wildcard ? isLocal(a) : a.equals(listenAddress)
                        || (a.isLoopbackAddress() && listenAddress.isLoopbackAddress() && sameFamily(a, listenAddress));
                if (!ours) {
                    elsewhere.add(text);
                }
            }
            if (addresses.isEmpty()) {
                report.fail(RoleCheck.RESOLVE, label + ": no address", fix);
            } else if (elsewhere.isEmpty()) {
                report.pass(RoleCheck.RESOLVE, label + " -> " + String.join(", ", shown) + " (this relay)");
            } else {
                String where = wildcard ? "not this host" : "not this relay's listen address " + NetUtil.toAddressString(listenAddress);
                report.fail(RoleCheck.RESOLVE, label + " -> " + String.join(", ", shown) + " (" + String.join(", ", elsewhere)
                        + ": " + where + "; the push service would bypass the relay)", fix);
            }
        }
    }

    private static boolean sameFamily(InetAddress a, InetAddress b) {
        return (a instanceof Inet4Address) == (b instanceof Inet4Address);
    }

    private static InetAddress literal(String host) {
        byte[] bytes = NetUtil.createByteArrayFromIpAddressString(host);
        if (bytes == null) {
            return null;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    static boolean isLocal(InetAddress address) {
        if (address.isLoopbackAddress() || address.isAnyLocalAddress()) {
            return true;
        }
        try {
            return NetworkInterface.getByInetAddress(address) != null;
        } catch (SocketException e) {
            return false;
        }
    }

    /** The listen address, or an address of this host the push service could reach, or RELAY_IP. */
    private static String relayIp(InetAddress listenAddress, boolean wildcard) {
        if (!wildcard) {
            return NetUtil.toAddressString(listenAddress);
        }
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(nic.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLinkLocalAddress()) {
                        return a.getHostAddress();
                    }
                }
            }
        } catch (SocketException e) {
            return "RELAY_IP";
        }
        return "RELAY_IP";
    }
}
