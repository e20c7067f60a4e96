package io.pushrelay.certs.cli;

import io.pushrelay.certs.CertificateText;
import io.pushrelay.certs.CertsException;
import io.pushrelay.certs.FileSet;
import io.pushrelay.certs.Pem;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code push-relay certs trust}: how to make hosts and runtimes trust the CA, or do it. */
@Command(name = "trust",
        headerHeading = "Examples:%n",
        header = {
            "  push-relay certs trust --ca ca/ca.pem",
            "  sudo push-relay certs trust --ca ca/ca.pem --install",
            "  sudo push-relay certs trust --uninstall",
            "  push-relay certs trust --ca ca/ca.pem --install --dry-run",
            ""},
        description = {
            "Make hosts, Java and Go trust the CA, or say how.",
            "Prints the exact steps that make Debian/Ubuntu, RHEL-family hosts, Java and Go trust the CA. With --install, does it on this host (Debian or RHEL family, told apart by /etc/os-release and by which of update-ca-certificates and update-ca-trust is installed) and says what changed; --uninstall undoes it. Both need root."
        })
public final class TrustCommand implements Callable<Integer> {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./:=@%+,-]+");

    @Spec
    CommandSpec spec;

    @Mixin
    VerboseMixin verbose;

    @Option(names = "--ca", paramLabel = "CA", defaultValue = "ca/ca.pem",
            description = "The CA certificate, or the CA folder holding ca.pem (default: ${DEFAULT-VALUE}).")
    Path ca;

    @ArgGroup(exclusive = true)
    Action action;

    static final class Action {
        @Option(names = "--install", required = true, description = "Add the CA to this host's system trust store.")
        boolean install;

        @Option(names = "--uninstall", required = true, description = "Remove it again.")
        boolean uninstall;
    }

    @Option(names = "--dry-run", description = "With --install or --uninstall: say what would change, change nothing.")
    boolean dryRun;

    @Option(names = "--force", description = "With --install: replace another CA installed under the same name.")
    boolean force;

    /** Where the system's folders are; only tests move it. */
    @Option(names = "--root", hidden = true, defaultValue = "/")
    Path root;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (action == null) {
            if (dryRun || force) {
                throw new ParameterException(spec.commandLine(),
                        (dryRun ? "--dry-run" : "--force") + " goes with --install or --uninstall");
            }
            printSteps(out);
            return 0;
        }
        SystemTrustStore store = SystemTrustStore.detect(root);
        try {
            if (action.install) {
                install(out, store);
            } else {
                uninstall(out, store);
            }
        } catch (CertsException e) {
            if ("permission denied".equals(e.reason())) {
                throw new CertsException(e.what(), "permission denied (run as root: sudo push-relay certs trust "
                        + (action.install ? "--install" : "--uninstall") + ")", e);
            }
            throw e;
        }
        return 0;
    }

    private Path caFile() {
        return Files.isDirectory(ca) ? ca.resolve("ca.pem") : ca;
    }

    private X509Certificate readCa(Path file) {
        X509Certificate cert = Pem.readCertificates(file).get(0);
        if (cert.getBasicConstraints() < 0) {
            throw new CertsException("read " + file, "not a CA certificate");
        }
        return cert;
    }

    private void install(PrintWriter out, SystemTrustStore store) {
        Path file = caFile();
        X509Certificate cert = readCa(file);
        byte[] pem = Pem.certificates(List.of(cert));
        Path anchor = store.anchor();
        if (!Files.isDirectory(anchor.getParent())) {
            throw new CertsException("trust --install", "folder " + anchor.getParent()
                    + " does not exist (install the ca-certificates package)");
        }
        byte[] previous = null;
        if (Files.exists(anchor)) {
            previous = readBytes(anchor);
            if (Arrays.equals(previous, pem)) {
                out.printf("Already trusted on %s: %s holds this CA; nothing changed.%n", store.system(), anchor);
                return;
            }
            if (!force) {
                throw new CertsException("install " + anchor, "holds another CA ("
                        + describe(previous) + "); use --force to replace it");
            }
        }
        String command = store.tool() + (store.family().installArgs.isEmpty() ? ""
                : " " + String.join(" ", store.family().installArgs));
        if (dryRun) {
            out.printf("Dry run on %s, nothing changed. Would:%n", store.system());
            out.printf("  %s %s to %s (0644)%n", previous == null ? "copy" : "replace the CA in", file, anchor);
            out.printf("  run %s%n", command);
            return;
        }
        new FileSet().add(anchor, pem).write(true);
        String output;
        try {
            output = store.refresh(store.family().installArgs);
        } catch (CertsException e) {
            undoCopy(anchor, previous);
            throw new CertsException(e.what(), e.reason() + "; " + anchor + " was put back as it was", e);
        }
        out.printf("Trusted on %s:%n", store.system());
        out.printf("  %s %s (%s, SHA-256 %s)%n", previous == null ? "copied to" : "replaced",
                anchor, cert.getSubjectX500Principal(), CertificateText.fingerprint(cert));
        out.printf("  ran %s%n", command);
        output.strip().lines().filter(l -> !l.isBlank()).forEach(l -> out.printf("    | %s%n", l));
        out.println("OpenSSL, curl, Go and other users of the system store now trust it. Java keeps its own");
        out.println("truststore: see the Java steps of 'push-relay certs trust'. Undo: push-relay certs trust --uninstall");
    }

    private void uninstall(PrintWriter out, SystemTrustStore store) {
        Path anchor = store.anchor();
        String command = store.tool() + " " + String.join(" ", store.family().uninstallArgs);
        if (!Files.exists(anchor)) {
            out.printf("Not trusted on %s: no %s; nothing changed.%n", store.system(), anchor);
            return;
        }
        if (dryRun) {
            out.printf("Dry run on %s, nothing changed. Would:%n", store.system());
            out.printf("  remove %s (%s)%n", anchor, describe(readBytes(anchor)));
            out.printf("  run %s%n", command);
            return;
        }
        String removed = describe(readBytes(anchor));
        try {
            Files.delete(anchor);
        } catch (IOException e) {
            throw new CertsException("remove " + anchor, FileSet.describe(e), e);
        }
        String output;
        try {
            output = store.refresh(store.family().uninstallArgs);
        } catch (CertsException e) {
            throw new CertsException(e.what(), e.reason() + "; " + anchor + " is already removed, run "
                    + command + " again", e);
        }
        out.printf("No longer trusted on %s:%n", store.system());
        out.printf("  removed %s (%s)%n", anchor, removed);
        out.printf("  ran %s%n", command);
        output.strip().lines().filter(l -> !l.isBlank()).forEach(l -> out.printf("    | %s%n", l));
    }

    private static void undoCopy(Path anchor, byte[] previous) {
        try {
            if (previous == null) {
                Files.deleteIfExists(anchor);
            } else {
                new FileSet().add(anchor, previous).write(true);
            }
        } catch (IOException | CertsException ignored) {
            // the error we are about to report matters more
        }
    }

    private static byte[] readBytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new CertsException("read " + file, FileSet.describe(e), e);
        }
    }

    private static String describe(byte[] pem) {
        try {
            java.security.cert.CertificateFactory factory = java.security.cert.CertificateFactory.getInstance("X.509");
            X509Certificate cert = (X509Certificate) factory.generateCertificate(new java.io.ByteArrayInputStream(pem));
            return cert.getSubjectX500Principal() + ", SHA-256 " + CertificateText.fingerprint(cert);
        } catch (Exception e) {
            return "not a certificate";
        }
    }

    private void printSteps(PrintWriter out) {
        Path file = caFile();
        String path = shell(file.toAbsolutePath().normalize().toString());
        SystemTrustStore.Family here = SystemTrustStore.quietly(root);
        out.println("How to trust the push-relay CA");
        if (Files.isRegularFile(file)) {
            X509Certificate cert = readCa(file);
            out.printf("  CA:      %s%n", cert.getSubjectX500Principal());
            out.printf("  file:    %s%n", path);
            out.printf("  SHA-256: %s%n", CertificateText.fingerprint(cert));
        } else {
            out.printf("  file:    %s (does not exist yet: push-relay certs ca create --dir %s)%n", path,
                    file.getParent() == null ? "." : file.getParent());
        }
        for (SystemTrustStore.Family family : SystemTrustStore.Family.values()) {
            out.println();
            out.printf("%s%s:%n", family.names, family == here ? " (this host)" : "");
            out.printf("  sudo cp %s %s && sudo %s%n", path, family.anchorPath(), family.command(family.installArgs));
            out.printf("  undo: sudo rm %s && sudo %s%n", family.anchorPath(), family.command(family.uninstallArgs));
            if (family == SystemTrustStore.Family.DEBIAN) {
                out.println("  With ca-certificates-java installed, this also adds it to the JDK's cacerts.");
            }
        }
        out.println();
        out.println("Either of these, done for you:");
        out.printf("  sudo push-relay certs trust --ca %s --install%n", shell(ca.toString()));
        out.println("  undo: sudo push-relay certs trust --uninstall");
        out.println();
        out.println("Java, a truststore of its own (the safer choice):");
        out.printf("  keytool -importcert -noprompt -alias push-relay-ca -file %s -keystore push-relay-truststore.p12"
                + " -storetype PKCS12 -storepass changeit%n", path);
        out.println("  java -Djavax.net.ssl.trustStore=push-relay-truststore.p12 -Djavax.net.ssl.trustStorePassword=changeit ...");
        out.println("Java, the JDK's cacerts (every Java program on the host):");
        out.printf("  sudo keytool -importcert -noprompt -cacerts -alias push-relay-ca -file %s -storepass changeit%n", path);
        out.println("  undo: sudo keytool -delete -cacerts -alias push-relay-ca -storepass changeit");
        out.println("  Note: Java does not enforce the name constraints of a trusted root CA, so in a Java");
        out.println("  truststore this CA can vouch for any name. Keep ca.key safe.");
        out.println();
        out.println("Go (the system store after the steps above, or this CA alone):");
        out.printf("  SSL_CERT_FILE=%s ./program%n", path);
        out.println();
        out.println("curl:");
        out.printf("  curl --cacert %s https://api.push.apple.com/%n", path);
    }

    static String shell(String text) {
        return PLAIN.matcher(text).matches() ? text : "'" + text.replace("'", "'\\''") + "'";
    }
}
