package io.pushrelay.core.sim;

import io.netty.channel.ChannelOption;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A small corporate-proxy stand-in for demos and tests where Squid is not installed: HTTP/1.1
 * {@code CONNECT host:port} only, optional Basic auth (407 with {@code Proxy-Authenticate}), an
 * allowlist of target ports (403 otherwise), a hosts override (like Squid's {@code hosts_file},
 * so that {@code CONNECT api.push.apple.com:PORT} reaches a loopback simulator), bytes spliced
 * both ways with back-pressure, one access-log line per CONNECT when it ends (logger
 * {@code io.pushrelay.core.sim.proxy.access}), and counters. Plain-HTTP forwarding is not
 * offered (501).
 *
 * <p>Transport: NIO, whatever the host offers. Tunnels allow half-closure (a FIN is passed on as
 * a FIN), and Netty 4.2.18's epoll transport loses a half-closed channel: once its input is shut
 * and nothing else is watched, {@code EpollIoHandler} removes the descriptor from epoll but keeps
 * it marked as added, so the EPOLLOUT needed by the next blocked write fails
 * ({@code epoll_ctl(..) failed: No such file or directory}) and the rest of the other
 * direction is lost. NIO has no such state.
 *
 * <p>Use: {@code try (ConnectProxySimulator proxy = new ConnectProxySimulator()) {
 * InetSocketAddress a = proxy.start(config); ... }}.
 * Thread-safe.
 */
public final class ConnectProxySimulator extends Simulator<ConnectProxyConfig> {
    private volatile ProxyStats stats;

    public ConnectProxySimulator() {
        super("proxy");
    }

    @Override
    protected SimServer bind(ConnectProxyConfig config) {
        ProxyStats proxyStats = new ProxyStats(config.recordLimit());
        SimServer server = SimServer.bind("proxy-sim", config.listen(), config.ioThreads(), true, ch -> {
            proxyStats.connectionsOpened.increment();
            ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            ch.pipeline()
                    .addLast(SimHandlerNames.CONNECT_DECODER, new ConnectRequestDecoder())
                    .addLast(SimHandlerNames.CONNECT, new ProxyConnectHandler(config, proxyStats));
        });
        this.stats = proxyStats;
        return server;
    }

    /** {@code proxy simulator listening on 127.0.0.1:PORT (CONNECT only; Basic auth; ports 443; hosts ...)}. */
    @Override
    public synchronized String describe() {
        requireStarted();
        ConnectProxyConfig config = config();
        String ports = config.allowedPorts().stream().sorted().map(String::valueOf).collect(Collectors.joining(","));
        String hosts = config.hosts().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .sorted().collect(Collectors.joining(","));
        return "proxy simulator listening on " + SimServer.format(address()) + " (CONNECT only; "
                + (config.requiresAuth() ? "Basic auth as " + config.user() : "no auth") + "; ports " + ports
                + (hosts.isEmpty() ? "" : "; hosts " + hosts) + ")";
    }

    /** CONNECTs answered 200 so far. */
    public long tunnelsOpened() {
        ProxyStats s = stats;
        return s == null ? 0 : s.tunnelsOpened.sum();
    }

    public ConnectProxySnapshot snapshot() {
        ProxyStats s = stats;
        if (s == null) {
            throw new IllegalStateException("proxy simulator not started");
        }
        return s.snapshot();
    }

    /** The most recent finished CONNECTs (tunnels once closed, refusals at once), oldest first. */
    public List<TunnelRecord> records() {
        ProxyStats s = stats;
        return s == null ? List.of() : s.records();
    }

    @Override
    protected String summary() {
        return stats.snapshot().summary();
    }
}
