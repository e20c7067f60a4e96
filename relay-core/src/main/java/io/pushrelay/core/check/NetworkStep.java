package io.pushrelay.core.check;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.pushrelay.core.config.EndpointUrl;
import io.pushrelay.core.config.EngineParts;
import io.pushrelay.core.config.PreConfig;
import io.pushrelay.core.config.ProxySettings;
import io.pushrelay.core.config.RoleConfig;
import io.pushrelay.core.config.UpstreamSettings;
import io.pushrelay.core.config.ViaSettings;
import io.pushrelay.core.connect.ClientIdentity;
import io.pushrelay.core.connect.Connector;
import io.pushrelay.core.connect.ConnectorConfig;
import io.pushrelay.core.connect.ConnectorException;
import io.pushrelay.core.connect.ProxyConfig;
import io.pushrelay.core.connect.UpstreamPipeline;
import io.pushrelay.core.connect.UpstreamProtocol;
import io.pushrelay.core.policy.Route;
import io.pushrelay.core.policy.RouteKind;
import io.pushrelay.core.upstream.ViaEndpoint;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The {@code network} steps, with the relay's own {@link Connector} built from the config as the
 * relay builds it: the proxy is reachable (TCP); then for every route at once, {@code CONNECT
 * host:port} is allowed (through a proxy) or the upstream is reachable (direct), the upstream's
 * TLS certificate verifies for the route's name, and ALPN selects {@code h2}. A
 * {@link ConnectorException}'s {@link io.pushrelay.core.forward.RelayError} says which step
 * failed; the steps after it print {@code -} lines.
 */
final class NetworkStep {
    private static final Pattern STATUS = Pattern.compile("status: (\\d{3})");
    private static final List<String> FILE_KEYS = List.of("proxy.password-file", "proxy.ca", "upstream.ca",
            "upstream.apns-client-cert", "upstream.apns-client-cert-password-file");

    private NetworkStep() {
    }

    /** What the network steps found: the routes whose upstream is usable, for {@code send-test}. */
    record Outcome(boolean ran, Set<String> usable) {
        static Outcome notRun() {
            return new Outcome(false, Set.of());
        }
    }

    /** A setup problem (unreadable password, CA or client certificate): a line and its fix. */
    static final class SetupException extends Exception {
        private static final long serialVersionUID = 1L;
        final String step;
        final String fix;

        SetupException(String step, String text, String fix) {
            super(text);
            this.step = step;
            this.fix = fix;
        }
    }

    static Outcome run(RoleConfig config, Set<String> badFiles, EventLoopGroup group, CheckReport report) {
        for (String key : FILE_KEYS) {
            if (badFiles.contains(key)) {
                report.skip(RoleCheck.NETWORK, "network: skipped (" + key + " file problem above)");
                return Outcome.notRun();
            }
        }
        ConnectorConfig connectorConfig;
        try {
            connectorConfig = connectorConfig(config, true);
        } catch (SetupException e) {
            report.fail(e.step, e.getMessage(), e.fix);
            report.skip(RoleCheck.NETWORK, "network: skipped (" + e.step + " above)");
            return Outcome.notRun();
        }
        Optional<ProxyConfig> proxy = connectorConfig.proxy();
        if (proxy.isPresent() && !proxyReachable(config.proxy(), proxy.get(), config.upstream().connectTimeout(), report)) {
            report.skip(RoleCheck.NETWORK, "CONNECT and upstream TLS for " + String.join(", ", config.routes().keySet())
                    + ": skipped (proxy unreachable)");
            return new Outcome(true, Set.of());
        }
        if (config instanceof PreConfig pre && pre.via() != null) {
            return via(pre, connectorConfig, group, report);
        }
        Connector connector;
        try {
            connector = new Connector(connectorConfig);
        } catch (IllegalArgumentException e) {
            report.fail(RoleCheck.TLS, "upstream TLS setup: " + e.getMessage(),
                    "give upstream.ca a readable PEM CA file (--upstream-ca), or leave it out for the system trust alone");
            return new Outcome(true, Set.of());
        }
        try {
            return routes(config, connector, group, report);
        } finally {
            connector.close();
        }
    }

    /** How the relay's connector is built from {@code config}; with {@code clientCert}, it presents the APNS certificate. */
    static ConnectorConfig connectorConfig(RoleConfig config, boolean clientCert) throws SetupException {
        UpstreamSettings up = config.upstream();
        Set<InetSocketAddress> avoid = new LinkedHashSet<>();
        InetSocketAddress listen = config.listen().toSocketAddress();
        if (!listen.isUnresolved()) {
            avoid.add(listen);
        }
        ConnectorConfig cc = ConnectorConfig.direct().withConnectTimeout(up.connectTimeout()).withAvoid(avoid);
        if (config.proxy() != null) {
            cc = cc.withProxy(proxyConfig(config.proxy()));
        }
        if (up.ca() != null) {
            cc = cc.withUpstreamCa(up.ca());
        }
        if (clientCert && up.apnsClientCert() != null) {
            char[] password = up.apnsClientCertPasswordFile() == null ? new char[0]
                    : firstLine(up.apnsClientCertPasswordFile(), "upstream.apns-client-cert-password-file").toCharArray();
            try {
                cc = cc.withClientCert(ClientIdentity.load(up.apnsClientCert(), password));
            } catch (IllegalArgumentException e) {
                throw new SetupException(RoleCheck.TLS, "upstream.apns-client-cert " + up.apnsClientCert() + ": " + e.getMessage(),
                        "give upstream.apns-client-cert the PKCS#12 file of the APNS certificate and its password in "
                                + "upstream.apns-client-cert-password-file (openssl pkcs12 -info -in FILE checks both)");
            }
        }
        return cc;
    }

    static ProxyConfig proxyConfig(ProxySettings settings) throws SetupException {
        return EngineParts.proxy(settings).orElseThrow();
    }

    /** {@link EngineParts#firstLine}, its failure told as a check line with the fix. */
    private static String firstLine(Path file, String key) throws SetupException {
        try {
            return EngineParts.firstLine(file, key);
        } catch (IllegalArgumentException e) {
            throw new SetupException(RoleCheck.PROXY, e.getMessage(),
                    "let the relay's user read " + file + " and write the secret on its first line");
        }
    }

    private static boolean proxyReachable(ProxySettings settings, ProxyConfig proxy, Duration timeout, CheckReport report) {
        String label = "proxy " + settings.url();
        String fix = "start the proxy or correct proxy.url (--proxy); test it with: curl -x " + settings.url()
                + " -sS -o /dev/null https://api.push.apple.com";
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(proxy.host());
        } catch (UnknownHostException e) {
            report.fail(RoleCheck.PROXY, label + ": cannot resolve " + proxy.host(),
                    "correct the host in proxy.url, or make it resolve here (DNS, /etc/hosts)");
            return false;
        }
        String last = "unreachable";
        for (InetAddress address : addresses) {
            InetSocketAddress target = new InetSocketAddress(address, proxy.port());
            try (Socket socket = new Socket()) {
                socket.connect(target, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
                report.pass(RoleCheck.PROXY, label + " reachable (" + address.getHostAddress() + ":" + proxy.port() + ")");
                return true;
            } catch (java.net.SocketTimeoutException e) {
                last = "connect timed out after " + timeout.toMillis() + " ms";
            } catch (IOException e) {
                last = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().toLowerCase(Locale.ROOT);
            }
        }
        report.fail(RoleCheck.PROXY, label + " unreachable: " + last, fix);
        return false;
    }

    /**
     * Chained to relay-post: the relay's connection to it, as the HTTP/1.1 upstream opens it
     * (through the proxy when one is set): TLS verified against {@code via.ca} (else
     * {@code upstream.ca}) besides the system trust, with the
     * {@code via} client certificate, ALPN {@code http/1.1} (or none); for {@code http://}, a raw
     * tunnel. relay-post's own check covers what lies beyond it.
     */
    private static Outcome via(PreConfig pre, ConnectorConfig base, EventLoopGroup group, CheckReport report) {
        ViaSettings via = pre.via();
        EndpointUrl url = via.url();
        ViaEndpoint endpoint = new ViaEndpoint(url.tls(), url.address().host(), url.address().port());
        // As relay-pre builds it: via.ca replaces upstream.ca when given; no APNS client certificate.
        ConnectorConfig cc = base.withProtocol(UpstreamProtocol.HTTP_1_1).withClientCert(null);
        if (via.ca() != null) {
            cc = cc.withUpstreamCa(via.ca());
        }
        if (via.clientCert() != null) {
            try {
                cc = cc.withClientCert(ClientIdentity.fromPem(via.clientCert(), via.clientKey()));
            } catch (IllegalArgumentException e) {
                report.fail(RoleCheck.TLS, "via.client-cert: " + e.getMessage(),
                        "give via.client-cert a PEM chain issued to relay-pre and via.client-key its key"
                                + " (push-relay certs client create --ca CA_DIR --out DIR --name relay-pre)");
                return new Outcome(true, Set.of());
            }
        }
        Connector connector;
        try {
            connector = new Connector(cc);
        } catch (IllegalArgumentException e) {
            report.fail(RoleCheck.TLS, "via TLS setup: " + e.getMessage(),
                    "give via.ca a readable PEM CA file (--via-ca), or leave it out for the system trust alone");
            return new Outcome(true, Set.of());
        }
        try {
            Target target = Target.via(endpoint);
            Probe probe = new Probe();
            Future<Channel> attempt = url.tls() ? connector.connect(group.next(), endpoint.route(), probe)
                    : connector.tunnel(group.next(), endpoint.route());
            await(attempt, pre);
            if (attempt.isSuccess()) {
                attempt.getNow().close().awaitUninterruptibly(2, TimeUnit.SECONDS);
                succeeded(target, connector.config().proxy(), probe, url.tls(), report);
            } else {
                failure(target, connector.config().proxy(), pre, attempt.cause(), report);
            }
            return new Outcome(true, Set.of());
        } finally {
            connector.close();
        }
    }

    private static Outcome routes(RoleConfig config, Connector connector, EventLoopGroup group, CheckReport report) {
        Map<Route, Probe> probes = new LinkedHashMap<>();
        Map<Route, Future<Channel>> attempts = new LinkedHashMap<>();
        for (Route route : orderedRoutes(config)) {
            Probe probe = new Probe();
            probes.put(route, probe);
            attempts.put(route, connector.connect(group.next(), route, probe));
        }
        Set<String> usable = new LinkedHashSet<>();
        Optional<ProxyConfig> proxy = connector.config().proxy();
        for (Map.Entry<Route, Future<Channel>> e : attempts.entrySet()) {
            Route route = e.getKey();
            Future<Channel> attempt = e.getValue();
            await(attempt, config);
            Target target = Target.of(route);
            if (attempt.isSuccess()) {
                attempt.getNow().close().awaitUninterruptibly(2, TimeUnit.SECONDS);
                succeeded(target, proxy, probes.get(route), true, report);
                usable.add(route.authority());
            } else {
                failure(target, proxy, config, attempt.cause(), report);
            }
        }
        return new Outcome(true, usable);
    }

    /** Waits for the connector, which bounds every phase with its own timeouts; cancels past a generous bound. */
    private static void await(Future<Channel> attempt, RoleConfig config) {
        long waitMillis = config.upstream().connectTimeout().toMillis() * 2
                + ConnectorConfig.DEFAULT_HANDSHAKE_TIMEOUT.toMillis() + 5_000;
        if (!attempt.awaitUninterruptibly(waitMillis, TimeUnit.MILLISECONDS)) {
            attempt.cancel(false);
        }
    }

    /**
     * What a connection is checked against: a route (ALPN h2, the route's name), or relay-post
     * for the chain (ALPN http/1.1 or none, named by its URL).
     */
    private record Target(Route route, String name, boolean via) {
        static Target of(Route route) {
            return new Target(route, route.authority(), false);
        }

        static Target via(ViaEndpoint endpoint) {
            return new Target(endpoint.route(), "relay-post " + endpoint, true);
        }
    }

    private static void succeeded(Target t, Optional<ProxyConfig> proxy, Probe probe, boolean tls, CheckReport report) {
        reachLine(t, proxy, report);
        if (!tls) {
            report.skip(RoleCheck.TLS, "upstream TLS " + t.name() + ": none (http://, plain text)");
            return;
        }
        report.pass(RoleCheck.TLS, "upstream TLS " + t.name() + " verified" + describe(probe.peer));
        String selected = probe.protocol;
        report.pass(RoleCheck.ALPN, "ALPN " + t.name() + ": " + (selected == null ? "none (HTTP/1.1)" : selected));
    }

    private static void reachLine(Target t, Optional<ProxyConfig> proxy, CheckReport report) {
        if (proxy.isPresent()) {
            report.pass(RoleCheck.CONNECT, "CONNECT " + target(t.route()) + " via " + proxy.get().address() + " allowed");
        } else if (t.via()) {
            report.pass(RoleCheck.UPSTREAM, "upstream " + t.name() + " reachable");
        } else {
            report.pass(RoleCheck.UPSTREAM, "upstream " + t.name() + " => " + target(t.route()) + " reachable");
        }
    }

    private static void failure(Target t, Optional<ProxyConfig> proxy, RoleConfig config, Throwable cause,
                                CheckReport report) {
        Route route = t.route();
        String name = t.name();
        String skipTls = "upstream TLS " + name + ": skipped";
        String skipAlpn = "ALPN " + name + ": skipped";
        if (!(cause instanceof ConnectorException ce)) {
            String what = cause == null ? "no answer in time" : String.valueOf(cause.getMessage());
            report.fail(proxy.isPresent() ? RoleCheck.CONNECT : RoleCheck.UPSTREAM,
                    (proxy.isPresent() ? "CONNECT " + target(route) + " via " + proxy.get().address() : "upstream " + name
                            + (t.via() ? "" : " => " + target(route))) + ": " + what,
                    "raise upstream.connect-timeout, or check the path to " + target(route));
            report.skip(RoleCheck.TLS, skipTls + " (not connected)");
            report.skip(RoleCheck.ALPN, skipAlpn + " (not connected)");
            return;
        }
        String message = ce.getMessage();
        switch (ce.error()) {
            case PROXY_UNAVAILABLE -> {
                report.fail(RoleCheck.PROXY, "proxy " + proxy.map(ProxyConfig::address).orElse("?") + " for CONNECT "
                        + target(route) + ": " + detail(message), proxyFix(config, message));
                report.skip(RoleCheck.TLS, skipTls + " (proxy failed)");
                report.skip(RoleCheck.ALPN, skipAlpn + " (proxy failed)");
            }
            case PROXY_REFUSED -> {
                String status = status(message);
                report.fail(RoleCheck.CONNECT, "CONNECT " + target(route) + " via " + proxy.map(ProxyConfig::address).orElse("?")
                        + " refused: status " + status, refusedFix(config, route, status));
                report.skip(RoleCheck.TLS, skipTls + " (CONNECT refused)");
                report.skip(RoleCheck.ALPN, skipAlpn + " (CONNECT refused)");
            }
            case UPSTREAM_UNAVAILABLE -> {
                if (proxy.isPresent()) {
                    report.fail(RoleCheck.UPSTREAM, "upstream " + target(route) + ": the proxy cannot reach it (status "
                            + status(message) + ")", "the proxy " + proxy.get().address() + " must reach " + target(route)
                            + ": check its DNS and outbound firewall" + appleRange(t));
                } else if (message.contains("own listener") && !t.via()) {
                    report.fail(RoleCheck.UPSTREAM, "upstream " + name + " => " + target(route)
                            + ": resolves to this relay's own listener (the /etc/hosts redirection is on this host)",
                            "route " + name + " to the real address (routes: " + name + ": ADDRESS:443, or --route "
                                    + name + "=ADDRESS:443) or send it through the proxy (proxy.url, --proxy)");
                } else if (message.contains("cannot resolve")) {
                    report.fail(RoleCheck.UPSTREAM, "upstream " + name + arrow(t) + " unreachable: "
                            + detail(message), "give this host a DNS resolver that knows " + route.host()
                            + (t.via() ? ", or give via.url an address" : ", or route " + name + " to an address (routes: "
                                    + name + ": ADDRESS:" + route.port() + ")")
                            + ", or send it through the proxy (proxy.url, --proxy), which resolves it itself");
                } else {
                    report.fail(RoleCheck.UPSTREAM, "upstream " + name + arrow(t) + " unreachable: "
                            + detail(message), (t.via() ? "start relay-post there, or correct via.url (--via); " : "")
                            + "open the way from this host to " + target(route) + appleRange(t)
                            + ", or send it through the proxy (proxy.url, --proxy)");
                }
                report.skip(RoleCheck.TLS, skipTls + " (not connected)");
                report.skip(RoleCheck.ALPN, skipAlpn + " (not connected)");
            }
            case UPSTREAM_TLS_FAILED -> {
                reachLine(t, proxy, report);
                if (message.contains("ALPN")) {
                    report.pass(RoleCheck.TLS, "upstream TLS " + name + " verified");
                    report.fail(RoleCheck.ALPN, "ALPN " + name + ": " + detail(message), t.via()
                            ? "via.url must be relay-post's HTTP/1.1 listener (push-relay post), not an HTTP/2-only server"
                            : "APNS speaks only HTTP/2: make " + target(route) + " the real " + name
                                    + (proxy.isPresent() ? ", and exempt it from TLS inspection on the proxy" : "")
                                    + " (something in between answers without h2)");
                } else {
                    report.fail(RoleCheck.TLS, "upstream TLS " + name + ": " + detail(message), t.via()
                            ? "give via.ca (--via-ca FILE) the CA of relay-post's certificate, or of the TLS-inspecting"
                                    + " proxy in between; the certificate must name " + route.host()
                            : "if the proxy inspects TLS, give its CA as upstream.ca (--upstream-ca FILE); else make sure "
                                    + target(route) + " is really " + name + " and this host's trust store is current"
                                    + " (apt-get install --reinstall ca-certificates)");
                    report.skip(RoleCheck.ALPN, skipAlpn + " (TLS failed)");
                }
            }
            default -> {
                report.fail(RoleCheck.UPSTREAM, "upstream " + name + ": " + message,
                        "check the path to " + target(route));
                report.skip(RoleCheck.TLS, skipTls + " (not connected)");
                report.skip(RoleCheck.ALPN, skipAlpn + " (not connected)");
            }
        }
    }

    /** The connector's message without the {@code connect, basic, proxy => target, } prefix it starts with. */
    static String detail(String message) {
        String m = message;
        int arrow = m.indexOf(" => ");
        if (m.startsWith("tls, ")) {
            int close = m.indexOf("): ");
            return close > 0 ? m.substring(close + 3) : m;
        }
        if (arrow >= 0) {
            int comma = m.indexOf(", ", arrow);
            if (comma > 0) {
                return m.substring(comma + 2);
            }
        }
        return m;
    }

    private static String status(String message) {
        Matcher m = STATUS.matcher(message);
        return m.find() ? m.group(1) : "?";
    }

    private static String proxyFix(RoleConfig config, String message) {
        if (message.contains("proxy TLS")) {
            return "give the CA of the proxy's own certificate as proxy.ca (--proxy-ca FILE), or use http:// if the proxy"
                    + " does not speak TLS";
        }
        return "make sure proxy.url (" + config.proxy().url() + ") is an HTTP proxy that answers CONNECT"
                + " (https:// only when it speaks TLS itself) within upstream.connect-timeout";
    }

    private static String refusedFix(RoleConfig config, Route route, String status) {
        String user = config.proxy().url().user();
        if (status.equals("407")) {
            return user == null
                    ? "the proxy wants a login: set proxy.url to http://USER@" + config.proxy().url().address()
                            + " and proxy.password-file (--proxy ... --proxy-password-file FILE)"
                    : "the proxy refused user " + user + ": check the password in proxy.password-file"
                            + (config.proxy().passwordFile() == null ? "" : " (" + config.proxy().passwordFile() + ")");
        }
        if (status.equals("403")) {
            return "the proxy's policy forbids CONNECT to " + target(route) + ": ask its admins to allow it"
                    + " (Squid: acl apns dstdomain ." + parentDomain(route.authority()) + ", port " + route.port()
                    + " in SSL_ports, http_access allow CONNECT apns)";
        }
        return "the proxy answered " + status + " to CONNECT " + target(route) + ": ask its admins to allow it";
    }

    private static String parentDomain(String name) {
        int dot = name.indexOf('.');
        return dot > 0 && name.indexOf('.', dot + 1) > 0 ? name.substring(dot + 1) : name;
    }

    private static String appleRange(Target t) {
        return !t.via() && t.route().kind() == RouteKind.APNS
                ? " (Apple's APNS servers are in 17.0.0.0/8, port " + t.route().port() + ")" : "";
    }

    private static String arrow(Target t) {
        return t.via() ? "" : " => " + target(t.route());
    }

    static String target(Route route) {
        String host = route.host().indexOf(':') >= 0 ? "[" + route.host() + "]" : route.host();
        return host + ":" + route.port();
    }

    private static String describe(X509Certificate peer) {
        if (peer == null) {
            return "";
        }
        long days = Math.floorDiv(Duration.between(Instant.now(), peer.getNotAfter().toInstant()).toSeconds(), 86_400L);
        return " (" + peer.getSubjectX500Principal().getName() + ", issuer " + peer.getIssuerX500Principal().getName()
                + ", " + days + " days left)";
    }

    /**
     * Takes the connection once the connector is done with it: remembers the upstream's
     * certificate and discards (releases) whatever the upstream sends before it is closed.
     */
    static final class Probe extends ChannelInboundHandlerAdapter {
        volatile X509Certificate peer;
        volatile String protocol;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (ctx.pipeline().get(UpstreamPipeline.UPSTREAM_TLS) instanceof SslHandler tls) {
                protocol = tls.applicationProtocol();
                try {
                    Certificate[] chain = tls.engine().getSession().getPeerCertificates();
                    if (chain.length > 0 && chain[0] instanceof X509Certificate x) {
                        peer = x;
                    }
                } catch (SSLPeerUnverifiedException e) {
                    peer = null;
                }
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    /** The routes in config order (the route table does not keep it). */
    static List<Route> orderedRoutes(RoleConfig config) {
        List<Route> out = new ArrayList<>();
        var table = config.routeTable();
        for (String name : config.routes().keySet()) {
            table.find(name).ifPresent(out::add);
        }
        return out;
    }
}
