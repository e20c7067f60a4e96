package io.pushrelay.core.connect;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a host name into addresses for the connector: the proxy's name, and in direct mode the
 * route's host. Through a proxy the route's host is never resolved by the relay ({@code CONNECT}
 * carries the name). Implementations may block: the connector calls them off the event loop
 * (IP literals excepted).
 *
 * <p>The default, {@link #system()}, is the JVM resolver, which honours {@code /etc/hosts}
 * (and {@code -Djdk.net.hosts.file}). On a host whose {@code /etc/hosts} sends
 * {@code api.push.apple.com} to the relay itself, direct mode would loop back: configure the
 * connector's {@code avoid} set with the relay's listener addresses (the connector then refuses
 * them), and give direct mode a resolver that knows the real addresses, e.g. {@link #fixed}.
 */
@FunctionalInterface
public interface HostResolver {
    /** All addresses of {@code host}, in preference order; never empty. */
    List<InetAddress> resolve(String host) throws UnknownHostException;

    /** The JVM resolver ({@link InetAddress#getAllByName}). */
    static HostResolver system() {
        return host -> List.of(InetAddress.getAllByName(host));
    }

    /**
     * Fixed entries (like curl's {@code --resolve}), names compared case-insensitively; other
     * names go to {@code fallback}.
     */
    static HostResolver fixed(Map<String, List<InetAddress>> entries, HostResolver fallback) {
        Map<String, List<InetAddress>> copy = new java.util.HashMap<>();
        entries.forEach((name, addresses) -> {
            if (addresses.isEmpty()) {
                throw new IllegalArgumentException("no address for " + name);
            }
            copy.put(name.toLowerCase(Locale.ROOT), List.copyOf(addresses));
        });
        return host -> {
            List<InetAddress> found = copy.get(host.toLowerCase(Locale.ROOT));
            return found != null ? found : fallback.resolve(host);
        };
    }
}
