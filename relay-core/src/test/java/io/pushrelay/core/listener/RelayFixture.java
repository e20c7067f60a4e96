package io.pushrelay.core.listener;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.pushrelay.core.forward.Forwarder;
import io.pushrelay.core.policy.Policy;
import io.pushrelay.core.policy.PolicyRule;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import io.pushrelay.core.policy.RouteTable;
import io.pushrelay.core.testing.ApnsLikeUpstream;
import io.pushrelay.core.testing.TestPki;
import io.pushrelay.core.transport.Transports;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A bound listener on 127.0.0.1 port 0 in front of an {@link ApnsLikeUpstream}, with fresh
 * PKI: the server certificate names the APNS hosts, 127.0.0.1 and ::1. Routes: the APNS
 * hosts and {@code 127.0.0.1} (for clients that connect by address, Pushy and the JDK).
 */
final class RelayFixture implements AutoCloseable {
    final Path dir;
    final TestPki pki;
    final TestPki.LeafFiles server;
    final ApnsLikeUpstream upstream = new ApnsLikeUpstream();
    final EventLoopGroup boss = Transports.newGroup("test-boss", 1);
    final EventLoopGroup workers = Transports.newGroup("test-io", 2);
    final RelayListener listener;

    private RelayFixture(Path dir, boolean tls, UnaryOperator<ListenerConfig> tweak, PolicyRule... rules) {
        this.dir = dir;
        this.pki = TestPki.create(dir.resolve("pki"), "Relay Test CA");
        this.server = pki.server("relay", "api.push.apple.com", "api.sandbox.push.apple.com");
        List<Route> routes = new ArrayList<>(RouteTable.defaults(false).routes());
        routes.add(Route.of(RouteKind.APNS, "127.0.0.1", "127.0.0.1", 443));
        Policy policy = new Policy(new RouteTable(routes));
        for (PolicyRule rule : rules) {
            policy = policy.withRule(rule);
        }
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        ListenerConfig config = tls
                ? ListenerConfig.tls("test", any, TlsConfig.of(server.chain(), server.key()))
                : ListenerConfig.plaintext("test", any);
        RelayListener bound;
        try {
            bound = RelayListener.bind(tweak.apply(config), boss, workers, new Forwarder(policy, upstream));
        } catch (RuntimeException e) {
            shutdownGroups();
            throw e;
        }
        this.listener = bound;
    }

    static RelayFixture tls(Path dir) {
        return new RelayFixture(dir, true, UnaryOperator.identity());
    }

    static RelayFixture tls(Path dir, UnaryOperator<ListenerConfig> tweak, PolicyRule... rules) {
        return new RelayFixture(dir, true, tweak, rules);
    }

    static RelayFixture plaintext(Path dir) {
        return new RelayFixture(dir, false, UnaryOperator.identity());
    }

    static RelayFixture plaintext(Path dir, UnaryOperator<ListenerConfig> tweak) {
        return new RelayFixture(dir, false, tweak);
    }

    int port() {
        return listener.localAddress().getPort();
    }

    Path caPem() {
        return pki.caPem();
    }

    /** The names of the one open connection's pipeline, read on its event loop, without Netty's tail. */
    List<String> pipelineNames() throws Exception {
        List<Channel> open = new ArrayList<>(listener.connections());
        if (open.size() != 1) {
            throw new AssertionError("expected one connection, have " + open.size());
        }
        Channel ch = open.get(0);
        List<String> names = ch.eventLoop().submit(() -> new ArrayList<>(ch.pipeline().names())).get(5, TimeUnit.SECONDS);
        names.removeIf(n -> n.startsWith("DefaultChannelPipeline$TailContext"));
        return names;
    }

    @Override
    public void close() {
        try {
            listener.close();
        } finally {
            upstream.close();
            shutdownGroups();
        }
    }

    private void shutdownGroups() {
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
