package io.pushrelay.core.testing;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A real Squid for tests: the corporate proxy. Started with {@code squid -N -f FILE} on
 * 127.0.0.1 and a free port, with a private folder (config, pid, logs, {@code hosts_file},
 * htpasswd) that the {@code proxy} user Squid drops to can use. CONNECT is allowed only to the
 * given ports; {@code hosts_file} maps the given names (by default the APNS hosts) to 127.0.0.1
 * and {@code dns_nameservers 127.0.0.1} keeps Squid off real DNS, so {@code CONNECT
 * api.push.apple.com:PORT} reaches a local mock. Optional Basic auth ({@code basic_ncsa_auth}),
 * optional TLS listener ({@code https_port}), optional TLS inspection ({@code ssl-bump}: Squid ends
 * each CONNECT's TLS with a certificate it makes for the target, signed by a given CA, opens its
 * own TLS to the target, and logs every request inside, e.g.
 * {@code POST https://relay-post.test:8443/3/device/...}).
 *
 * <pre>
 * try (Squid squid = Squid.builder().allowPorts(mockPort).basicAuth("alice", "secret").start()) {
 *     ... connect through squid.url() ...
 *     squid.stop();                        // CONNECT lines are logged when tunnels close
 *     List&lt;Squid.AccessLogEntry&gt; log = squid.accessLog();
 * }
 * </pre>
 *
 * TLS inspection, as a legacy proxy between relay-pre and relay-post:
 * <pre>
 * TestPki bumpCa = TestPki.createUnconstrained(dir.resolve("bump"), "inspection CA");
 * try (Squid squid = Squid.builder().allowPorts(postPort).hosts("relay-post.test")
 *         .sslBump(bumpCa.caPem(), bumpCa.caKey())      // clients must trust bumpCa
 *         .trustUpstream(postPki.caPem())                // Squid must trust relay-post
 *         .start()) {
 *     ... CONNECT relay-post.test:postPort, TLS (sees a certificate from bumpCa), requests ...
 *     squid.stop();
 *     squid.accessLog()  // one entry per request: method POST, url https://relay-post.test:PORT/3/device/...
 * }
 * </pre>
 * Squid forwards a bumped request only to the host and port of the tunnel it came through: a
 * {@code Host} naming another host or port is answered 503 {@code ERR_CANNOT_FORWARD}.
 *
 * <p>Fails (never skips) when Squid is not installed. {@link #close()} stops it even after a failed
 * test and deletes its folder ({@link Builder#keepFiles()} keeps it for inspection). The folder
 * is made under {@code java.io.tmpdir} unless a parent is given; that parent and its own parents
 * get search permission for others so that {@code proxy} can reach it.
 */
public final class Squid implements Closeable {
    private static final List<String> SQUID_PATHS = List.of("/usr/sbin/squid", "/usr/bin/squid");
    private static final Path NCSA_AUTH = Paths.get("/usr/lib/squid/basic_ncsa_auth");
    private static final Path CERTGEN = Paths.get("/usr/lib/squid/security_file_certgen");
    private static final int START_ATTEMPTS = 5;

    private final Path dir;
    private final int port;
    private final boolean tls;
    private final boolean keepFiles;
    private final ExternalProcess process;

    private Squid(Path dir, int port, boolean tls, boolean keepFiles, ExternalProcess process) {
        this.dir = dir;
        this.port = port;
        this.tls = tls;
        this.keepFiles = keepFiles;
        this.process = process;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How to configure a {@link Squid}. */
    public static final class Builder {
        private final Set<Integer> ports = new LinkedHashSet<>();
        private final Map<String, String> hosts = new LinkedHashMap<>();
        private final List<String> extra = new ArrayList<>();
        private String user;
        private String password;
        private Path certPem;
        private Path keyPem;
        private Path parent;
        private Path bumpCaCert;
        private Path bumpCaKey;
        private Path upstreamCa;
        private Duration startTimeout = Duration.ofSeconds(20);
        private boolean keepFiles;

        private Builder() {
            for (String name : List.of("api.push.apple.com", "api.sandbox.push.apple.com",
                    "api.development.push.apple.com", "fcm.googleapis.com", "oauth2.googleapis.com")) {
                hosts.put(name, "127.0.0.1");
            }
        }

        /** Ports CONNECT may reach; every other port is denied (403). */
        public Builder allowPorts(int... allowed) {
            for (int p : allowed) {
                ports.add(p);
            }
            return this;
        }

        /** Maps more names to 127.0.0.1 in Squid's {@code hosts_file}. */
        public Builder hosts(String... names) {
            for (String name : names) {
                hosts.put(name, "127.0.0.1");
            }
            return this;
        }

        /** Maps {@code name} to {@code address} in Squid's {@code hosts_file}. */
        public Builder host(String name, String address) {
            hosts.put(name, address);
            return this;
        }

        /** Requires Basic auth (407 otherwise) with this one user. */
        public Builder basicAuth(String authUser, String authPassword) {
            this.user = authUser;
            this.password = authPassword;
            return this;
        }

        /** Listens with TLS ({@code https_port}) using this certificate chain and key (PEM). */
        public Builder tls(Path chainPem, Path privateKeyPem) {
            this.certPem = chainPem;
            this.keyPem = privateKeyPem;
            return this;
        }

        /**
         * TLS inspection on the plain {@code http_port}: {@code ssl-bump} with certificates made
         * on the fly ({@code security_file_certgen}) and signed by this CA (PEM certificate and
         * PEM key; an unconstrained CA, since it signs whatever name a client connects to);
         * {@code ssl_bump peek step1}, {@code ssl_bump bump all}. Clients trust that CA.
         */
        public Builder sslBump(Path caCertPem, Path caKeyPem) {
            this.bumpCaCert = caCertPem;
            this.bumpCaKey = caKeyPem;
            return this;
        }

        /**
         * The CA (PEM) Squid trusts for its own TLS to the targets of bumped tunnels
         * ({@code tls_outgoing_options cafile=}).
         */
        public Builder trustUpstream(Path caPem) {
            this.upstreamCa = caPem;
            return this;
        }

        /** Where the private folder is made (default {@code java.io.tmpdir}). */
        public Builder directory(Path parentDir) {
            this.parent = parentDir;
            return this;
        }

        /** An extra squid.conf line, appended after the generated ones (before the final deny). */
        public Builder config(String line) {
            extra.add(line);
            return this;
        }

        /** Keeps the private folder after {@link #close()} (by default it is deleted). */
        public Builder keepFiles() {
            this.keepFiles = true;
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /** Starts Squid and waits until it accepts connections. */
        public Squid start() {
            String squid = SQUID_PATHS.stream().filter(p -> Files.isExecutable(Paths.get(p))).findFirst()
                    .orElseThrow(() -> new IllegalStateException(
                            "squid is not installed (apt-get install squid-openssl)"));
            try {
                Path base = parent != null ? parent : Paths.get(System.getProperty("java.io.tmpdir"));
                Path dir = Files.createTempDirectory(base, "squid-");
                prepare(dir);
                IllegalStateException last = null;
                for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
                    int port = Ports.closed();
                    Path conf = dir.resolve("squid.conf");
                    Files.writeString(conf, config(dir, port), StandardCharsets.UTF_8);
                    Files.deleteIfExists(dir.resolve("cache.log"));
                    ExternalProcess process = ExternalProcess.start("squid", dir.resolve("squid.out"), Map.of(),
                            List.of(squid, "-N", "-f", conf.toString()));
                    try {
                        awaitAccepting(process, dir, port);
                        return new Squid(dir, port, certPem != null, keepFiles, process);
                    } catch (IllegalStateException e) {
                        process.close();
                        last = e;
                        String log = read(dir.resolve("cache.log")) + read(dir.resolve("squid.out"));
                        if (!(log.contains("Address already in use") || log.contains("Cannot open")
                                || log.contains("commBind"))) {
                            throw e;
                        }
                    }
                }
                throw last;
            } catch (IOException e) {
                throw new UncheckedIOException("start squid", e);
            }
        }

        private void prepare(Path dir) throws IOException {
            // Squid drops to user 'proxy': its folder must be writable by it, and every parent
            // traversable (JUnit's and mktemp's folders are 0700).
            makeTraversable(dir.getParent());
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            try {
                UserPrincipal proxy = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("proxy");
                Files.setOwner(dir, proxy);
            } catch (IOException | UnsupportedOperationException e) {
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            }
            StringBuilder hostsFile = new StringBuilder();
            hosts.forEach((name, address) -> hostsFile.append(address).append(' ').append(name).append('\n'));
            writeReadable(dir.resolve("hosts"), hostsFile.toString());
            if (user != null) {
                if (!Files.isExecutable(NCSA_AUTH)) {
                    throw new IllegalStateException(NCSA_AUTH + " missing (apt-get install squid-openssl)");
                }
                ExternalProcess.Result hash = ExternalProcess.run(Duration.ofSeconds(10), Map.of(),
                        List.of("openssl", "passwd", "-apr1", password));
                if (hash.exitCode() != 0) {
                    throw new IllegalStateException("openssl passwd failed: " + hash.output());
                }
                writeReadable(dir.resolve("htpasswd"), user + ":" + hash.output().trim() + "\n");
            }
            if (bumpCaCert != null) {
                if (certPem != null) {
                    throw new IllegalStateException("ssl-bump is on the plain http_port: not together with tls()");
                }
                if (!Files.isExecutable(CERTGEN)) {
                    throw new IllegalStateException(CERTGEN + " missing (apt-get install squid-openssl)");
                }
                writeReadable(dir.resolve("bump-ca.pem"), Files.readString(bumpCaCert, StandardCharsets.US_ASCII)
                        + Files.readString(bumpCaKey, StandardCharsets.US_ASCII));
                ExternalProcess.Result db = ExternalProcess.run(Duration.ofSeconds(20), Map.of(),
                        List.of(CERTGEN.toString(), "-c", "-s", dir.resolve("certs").toString(), "-M", "4MB"));
                if (db.exitCode() != 0) {
                    throw new IllegalStateException("security_file_certgen -c failed: " + db.output());
                }
                giveToProxy(dir.resolve("certs"));
            }
            if (upstreamCa != null) {
                writeReadable(dir.resolve("upstream-ca.pem"), Files.readString(upstreamCa, StandardCharsets.US_ASCII));
            }
            if (certPem != null) {
                Files.copy(certPem, dir.resolve("tls.pem"), StandardCopyOption.REPLACE_EXISTING);
                Files.copy(keyPem, dir.resolve("tls.key"), StandardCopyOption.REPLACE_EXISTING);
                Files.setPosixFilePermissions(dir.resolve("tls.pem"), PosixFilePermissions.fromString("rw-r--r--"));
                Files.setPosixFilePermissions(dir.resolve("tls.key"), PosixFilePermissions.fromString("rw-r--r--"));
            }
        }

        private String config(Path dir, int port) {
            List<String> lines = new ArrayList<>();
            if (certPem != null) {
                lines.add("https_port 127.0.0.1:" + port + " tls-cert=" + dir.resolve("tls.pem") + " tls-key="
                        + dir.resolve("tls.key"));
            } else if (bumpCaCert != null) {
                lines.add("http_port 127.0.0.1:" + port + " ssl-bump tls-cert=" + dir.resolve("bump-ca.pem")
                        + " generate-host-certificates=on dynamic_cert_mem_cache_size=4MB");
                lines.add("sslcrtd_program " + CERTGEN + " -s " + dir.resolve("certs") + " -M 4MB");
                lines.add("sslcrtd_children 4 startup=1 idle=1");
                lines.add("acl step1 at_step SslBump1");
                lines.add("ssl_bump peek step1");
                lines.add("ssl_bump bump all");
            } else {
                lines.add("http_port 127.0.0.1:" + port);
            }
            if (upstreamCa != null) {
                lines.add("tls_outgoing_options cafile=" + dir.resolve("upstream-ca.pem"));
            }
            lines.add("pid_filename " + dir.resolve("squid.pid"));
            lines.add("access_log stdio:" + dir.resolve("access.log"));
            lines.add("cache_log " + dir.resolve("cache.log"));
            lines.add("cache_store_log none");
            lines.add("coredump_dir " + dir);
            lines.add("cache deny all");
            lines.add("cache_mem 8 MB");
            lines.add("shutdown_lifetime 0 seconds");
            lines.add("hosts_file " + dir.resolve("hosts"));
            lines.add("dns_nameservers 127.0.0.1");
            lines.add("dns_timeout 5 seconds");
            lines.add("visible_hostname push-relay-test-squid");
            lines.add("pinger_enable off");
            lines.add("netdb_filename none");
            lines.add("icp_port 0");
            lines.add("htcp_port 0");
            lines.add("logfile_rotate 0");
            if (user != null) {
                lines.add("auth_param basic program " + NCSA_AUTH + " " + dir.resolve("htpasswd"));
                lines.add("auth_param basic children 2 startup=1");
                lines.add("auth_param basic realm push-relay-test");
                lines.add("acl authed proxy_auth REQUIRED");
            }
            StringBuilder portList = new StringBuilder();
            for (int p : ports) {
                portList.append(' ').append(p);
            }
            // An acl with no values is an error: a port nobody uses keeps it valid.
            lines.add("acl okports port" + (ports.isEmpty() ? " 1" : portList));
            lines.add("acl CONNECT method CONNECT");
            lines.add("http_access deny CONNECT !okports");
            if (user != null) {
                lines.add("http_access deny !authed");
            }
            lines.addAll(extra);
            lines.add("http_access allow localhost");
            lines.add("http_access deny all");
            return String.join("\n", lines) + "\n";
        }

        private void awaitAccepting(ExternalProcess process, Path dir, int port) {
            long deadline = System.nanoTime() + startTimeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("squid exited:\n" + read(dir.resolve("cache.log"))
                            + process.output());
                }
                String log = read(dir.resolve("cache.log"));
                if (log.contains("Cannot open") || log.contains("commBind")) {
                    throw new IllegalStateException("squid could not bind " + port + ":\n" + log);
                }
                if (log.contains("Accepting ") && canConnect(port)) {
                    return;
                }
                try {
                    Thread.sleep(25);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            throw new IllegalStateException("squid not accepting on " + port + " within " + startTimeout + ":\n"
                    + read(dir.resolve("cache.log")));
        }
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** {@code http://127.0.0.1:PORT}, or {@code https://...} with {@link Builder#tls}. */
    public String url() {
        return (tls ? "https" : "http") + "://127.0.0.1:" + port;
    }

    public Path directory() {
        return dir;
    }

    public Path accessLogFile() {
        return dir.resolve("access.log");
    }

    public Path cacheLogFile() {
        return dir.resolve("cache.log");
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    /** Stops Squid (SIGTERM; {@code shutdown_lifetime 0} makes that quick), killing it after 10 s. */
    public void stop() {
        if (process.isAlive()) {
            process.terminate(Duration.ofSeconds(10));
        }
    }

    /**
     * The access log, parsed. CONNECT lines appear when the tunnel closes: call {@link #stop()}
     * (or close the tunnels) first.
     */
    public List<AccessLogEntry> accessLog() {
        List<AccessLogEntry> entries = new ArrayList<>();
        for (String line : read(accessLogFile()).split("\n")) {
            if (!line.isBlank()) {
                entries.add(AccessLogEntry.parse(line));
            }
        }
        return entries;
    }

    /** Stops Squid and deletes its folder, unless {@link Builder#keepFiles()}. */
    @Override
    public void close() {
        stop();
        if (!keepFiles) {
            try (java.util.stream.Stream<Path> files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // Left behind in the temporary folder; nothing depends on it.
            }
        }
    }

    @Override
    public String toString() {
        return "squid " + url() + " (" + dir + ")";
    }

    /**
     * One line of Squid's native access log:
     * {@code time elapsed client code/status bytes method url user hierarchy/peer type}.
     */
    public record AccessLogEntry(double time, long elapsedMillis, String client, String result, int status,
                                 long bytes, String method, String url, String user, String hierarchy) {
        static AccessLogEntry parse(String line) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 9) {
                throw new IllegalArgumentException("not a squid access log line: " + line);
            }
            String[] codeStatus = f[3].split("/", 2);
            return new AccessLogEntry(Double.parseDouble(f[0]), Long.parseLong(f[1]), f[2], codeStatus[0],
                    codeStatus.length > 1 ? Integer.parseInt(codeStatus[1]) : 0, Long.parseLong(f[4]), f[5], f[6],
                    f[7], f[8]);
        }

        public boolean isConnect() {
            return method.equals("CONNECT");
        }
    }


    private static boolean canConnect(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Adds search permission for others to {@code dir} and its parents where it is missing. */
    private static void makeTraversable(Path dir) {
        for (Path p = dir == null ? null : dir.toAbsolutePath(); p != null; p = p.getParent()) {
            try {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    perms.add(PosixFilePermission.OTHERS_EXECUTE);
                    perms.add(PosixFilePermission.GROUP_EXECUTE);
                    Files.setPosixFilePermissions(p, perms);
                }
            } catch (IOException | UnsupportedOperationException e) {
                return;
            }
        }
    }

    /** Makes {@code path} and everything under it owned by {@code proxy}, the user Squid runs as. */
    private static void giveToProxy(Path path) throws IOException {
        UserPrincipal proxy;
        try {
            proxy = path.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("proxy");
        } catch (IOException | UnsupportedOperationException e) {
            return; // no such user: Squid runs as whoever started it
        }
        try (java.util.stream.Stream<Path> files = Files.walk(path)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.setOwner(p, proxy);
            }
        }
    }

    private static void writeReadable(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
