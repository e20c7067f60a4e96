package io.pushrelay.core.check;

import io.pushrelay.core.admin.AdminHandler;
import io.pushrelay.core.config.HostPort;
import io.pushrelay.core.config.RoleConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The {@code listen} step: the listen and admin addresses can be bound. Each is bound (with
 * {@code SO_REUSEADDR}, as the relay binds) and released at once. An address in use is the
 * running relay's when its admin endpoint answers {@code GET /healthz} on the configured admin
 * address: that passes, saying so; anything else holding it fails.
 */
final class ListenStep {
    private static final int PROBE_TIMEOUT_MILLIS = 1000;

    private ListenStep() {
    }

    static void run(RoleConfig config, CheckReport report) {
        String admin = adminUrl(config.admin().listen());
        boolean running = answersHealthz(config.admin().listen());
        check("listen", config.listen(), "--listen / listen", config, admin, running, report);
        check("admin", config.admin().listen(), "--admin-listen / admin.listen", config, admin, running, report);
    }

    private static void check(String what, HostPort address, String setting, RoleConfig config, String admin,
                              boolean running, CheckReport report) {
        String label = what + " " + address;
        InetSocketAddress socketAddress = address.toSocketAddress();
        if (socketAddress.isUnresolved()) {
            report.fail(RoleCheck.LISTEN, label + ": cannot resolve " + address.host(),
                    "give an address of this host (ip -br addr) or 0.0.0.0 as " + setting);
            return;
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(socketAddress, 1);
            report.pass(RoleCheck.LISTEN, label + " bindable" + (address.port() == 0 ? " (port 0: a free port)" : ""));
        } catch (BindException e) {
            String m = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
            if (m.contains("in use")) {
                if (running) {
                    report.pass(RoleCheck.LISTEN, label + " in use by the running " + RoleCheck.role(config)
                            + " (its admin endpoint " + admin + " answers ok)");
                } else {
                    report.fail(RoleCheck.LISTEN, label + ": in use by another process (a running relay? nothing answers "
                            + admin + ")", "find it with: ss -ltnp 'sport = :" + address.port()
                            + "' and stop it, or choose another address as " + setting);
                }
            } else if (m.contains("permission denied") || m.contains("access")) {
                report.fail(RoleCheck.LISTEN, label + ": permission denied (port " + address.port() + " is below 1024)",
                        "run as root, or give the JVM CAP_NET_BIND_SERVICE (the systemd unit "
                                + RoleCheck.unit(config) + ".service does: AmbientCapabilities=CAP_NET_BIND_SERVICE)");
            } else if (m.contains("assign")) {
                report.fail(RoleCheck.LISTEN, label + ": " + address.host() + " is not an address of this host",
                        "give an address of this host (ip -br addr) or 0.0.0.0 as " + setting);
            } else {
                report.fail(RoleCheck.LISTEN, label + ": " + e.getMessage(),
                        "give an address and port this host can bind as " + setting);
            }
        } catch (IOException e) {
            report.fail(RoleCheck.LISTEN, label + ": " + e.getMessage(), "give an address and port this host can bind as " + setting);
        }
    }

    static String adminUrl(HostPort admin) {
        return "http://" + probeAddress(admin) + AdminHandler.HEALTHZ;
    }

    private static String probeAddress(HostPort admin) {
        String host = admin.host();
        if (host.equals("0.0.0.0")) {
            host = "127.0.0.1";
        } else if (host.equals("::")) {
            host = "::1";
        }
        return new HostPort(host, admin.port()).toString();
    }

    /** Whether a push-relay admin endpoint answers {@code GET /healthz} with {@code 200 ok} there. */
    static boolean answersHealthz(HostPort admin) {
        if (admin.port() == 0) {
            return false;
        }
        String host = admin.host().equals("0.0.0.0") ? "127.0.0.1" : admin.host().equals("::") ? "::1" : admin.host();
        try (Socket socket = new Socket()) {
            InetSocketAddress target = new InetSocketAddress(InetAddress.getByName(host), admin.port());
            socket.connect(target, PROBE_TIMEOUT_MILLIS);
            socket.setSoTimeout(PROBE_TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + AdminHandler.HEALTHZ + " HTTP/1.1\r\nHost: " + probeAddress(admin)
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = in.readNBytes(4096);
            String answer = new String(buffer, StandardCharsets.US_ASCII);
            int bodyStart = answer.indexOf("\r\n\r\n");
            return answer.startsWith("HTTP/1.1 200") && bodyStart >= 0
                    && answer.substring(bodyStart + 4).strip().equals("ok");
        } catch (IOException e) {
            return false;
        }
    }
}
