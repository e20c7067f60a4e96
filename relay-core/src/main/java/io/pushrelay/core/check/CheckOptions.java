package io.pushrelay.core.check;

import io.pushrelay.core.connect.HostResolver;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How {@link RoleCheck#run} checks. Immutable; start from {@link #defaults(String)}.
 *
 * @param configSource     how the first line names the config: its file, or {@code (flags only)}
 * @param skip             step groups not to run ({@link #SKIPPABLE}); each prints a {@code -} line
 * @param resolver         resolves the route names for the {@code resolve} step (the JVM's by
 *                         default, which reads {@code /etc/hosts} as the push service does)
 * @param trustBundles     the system trust bundles, the first that exists is read for the
 *                         {@code trust} step (Debian's, then RHEL's)
 * @param certificateNames the names the listener's certificates must cover; null: the role's
 *                         default (relay-pre: every route's name; relay-post: none)
 * @param sendTest         send one real notification at the end; null: none
 * @param clock            "now", for certificate expiry
 */
public record CheckOptions(String configSource, Set<String> skip, HostResolver resolver, List<Path> trustBundles,
                           List<String> certificateNames, SendTest sendTest, Clock clock) {
    /** Debian/Ubuntu's bundle, then RHEL/Fedora's. */
    public static final List<Path> SYSTEM_TRUST_BUNDLES = List.of(Path.of("/etc/ssl/certs/ca-certificates.crt"),
            Path.of("/etc/pki/tls/certs/ca-bundle.crt"));
    /** What {@code --skip} takes. */
    public static final List<String> SKIPPABLE = List.of(RoleCheck.FILES, RoleCheck.CERTIFICATE, RoleCheck.LISTEN,
            RoleCheck.RESOLVE, RoleCheck.TRUST, RoleCheck.NETWORK);

    public CheckOptions {
        Objects.requireNonNull(configSource, "configSource");
        skip = skip == null ? Set.of() : Set.copyOf(skip);
        for (String s : skip) {
            if (!SKIPPABLE.contains(s)) {
                throw new IllegalArgumentException("cannot skip '" + s + "' (one of: " + String.join(", ", SKIPPABLE) + ")");
            }
        }
        resolver = resolver == null ? HostResolver.system() : resolver;
        trustBundles = trustBundles == null || trustBundles.isEmpty() ? SYSTEM_TRUST_BUNDLES : List.copyOf(trustBundles);
        certificateNames = certificateNames == null ? null : List.copyOf(certificateNames);
        clock = clock == null ? Clock.systemUTC() : clock;
    }

    /** Every step, the JVM resolver, the system trust bundles, no test notification. */
    public static CheckOptions defaults(String configSource) {
        return new CheckOptions(configSource, Set.of(), null, null, null, null, null);
    }

    public CheckOptions withSkip(Set<String> steps) {
        return new CheckOptions(configSource, steps, resolver, trustBundles, certificateNames, sendTest, clock);
    }

    /** Also skips {@code step}. */
    public CheckOptions skipping(String step) {
        Set<String> more = new LinkedHashSet<>(skip);
        more.add(step);
        return withSkip(more);
    }

    public CheckOptions withResolver(HostResolver r) {
        return new CheckOptions(configSource, skip, r, trustBundles, certificateNames, sendTest, clock);
    }

    public CheckOptions withTrustBundles(List<Path> bundles) {
        return new CheckOptions(configSource, skip, resolver, bundles, certificateNames, sendTest, clock);
    }

    public CheckOptions withCertificateNames(List<String> names) {
        return new CheckOptions(configSource, skip, resolver, trustBundles, names, sendTest, clock);
    }

    public CheckOptions withSendTest(SendTest test) {
        return new CheckOptions(configSource, skip, resolver, trustBundles, certificateNames, test, clock);
    }

    public CheckOptions withClock(Clock c) {
        return new CheckOptions(configSource, skip, resolver, trustBundles, certificateNames, sendTest, c);
    }

    boolean skips(String step) {
        return skip.contains(step);
    }
}
