package io.pushrelay.core.sim;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;

/**
 * Per-connection state of a simulator. Written only on the connection's event loop; the
 * counters are volatile so that snapshots taken from other threads see recent values.
 */
final class SimConnection {
    final String id;
    final InetSocketAddress remote;
    /** The connection's channel; null in tests that make a connection without one. */
    final Channel channel;
    volatile String protocol = "-";
    volatile X509Certificate clientCertificate;
    /** The APNS team bound to this connection by its first valid provider token. */
    volatile String team;
    volatile long streams;
    volatile long accepted;
    volatile long rejected;
    volatile boolean open = true;

    /** APNS provider-token cache: the last {@code authorization} value and what it meant. */
    String lastAuthorization;
    ProviderToken lastToken;
    String lastTokenRejection;

    SimConnection(String id, InetSocketAddress remote) {
        this(id, remote, null);
    }

    SimConnection(String id, InetSocketAddress remote, Channel channel) {
        this.id = id;
        this.remote = remote;
        this.channel = channel;
    }

    /** Event loop only (single writer). */
    void countStream() {
        streams = streams + 1;
    }

    /** Event loop only (single writer). */
    void countAnswer(int status) {
        if (status == 200) {
            accepted = accepted + 1;
        } else {
            rejected = rejected + 1;
        }
    }

    String identity() {
        String t = team;
        if (t != null) {
            return t;
        }
        X509Certificate cert = clientCertificate;
        return cert != null ? cert.getSubjectX500Principal().getName() : "-";
    }

    /** {@code ip:port} of the client, or {@code -}. */
    String remoteText() {
        return remote == null ? "-" : SimServer.format(remote);
    }

    ConnectionStats stats() {
        return new ConnectionStats(id, remoteText(), protocol, identity(), streams, accepted, rejected, open);
    }
}
