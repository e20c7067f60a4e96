package io.pushrelay.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One scrape of a relay's {@code /metrics}, taken over HTTP by curl, linted by
 * {@code promtool check metrics} (Debian's {@code prometheus}) and read back by the Prometheus
 * project's own parser ({@code expfmt.TextParser}, through {@code expfmt_dump.go}, built once
 * per JVM from Debian's {@code golang-github-prometheus-common-dev}). Values come from what the
 * parser understood, never from our own reading of the text. Every tool is required: a missing
 * one fails the test.
 *
 * <pre>
 * PromScrape scrape = PromScrape.take(relay.adminAddress(), dir);
 * assertEquals(5, scrape.value("push_relay_requests_total", "route", "api.push.apple.com", "status", "200", "flag", "-"));
 * assertTrue(scrape.sum("push_relay_upstream_tx_bytes_total") > 0);
 * </pre>
 */
public final class PromScrape {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    /** promtool's one remark on our exposition: the issue asked for days, Prometheus prefers seconds. */
    public static final String DAYS_REMARK = "push_relay_certificate_expiry_days use base unit \"seconds\" instead of \"days\"";
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)\\{(.*)\\} (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static Path dumper;

    private final Map<String, String> types;
    private final List<Sample> samples;
    private final String text;

    /** One sample as the parser printed it. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private PromScrape(Map<String, String> types, List<Sample> samples, String text) {
        this.types = types;
        this.samples = samples;
        this.text = text;
    }

    /**
     * Scrapes {@code http://ADMIN/metrics} with curl into {@code dir}, asserts that promtool finds
     * nothing but {@link #DAYS_REMARK} and that expfmt parses it, and returns what expfmt read.
     */
    public static PromScrape take(InetSocketAddress admin, Path dir) {
        try {
            Path file = Files.createTempFile(dir, "scrape", ".txt");
            String host = admin.getAddress().getHostAddress();
            String url = "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + admin.getPort() + "/metrics";
            ExternalProcess.Result curl = ExternalProcess.run(TIMEOUT, Map.of(), List.of("curl", "-sS", "--fail",
                    "--noproxy", "*", "--max-time", "20", "-o", file.toString(), url));
            assertEquals(0, curl.exitCode(), "curl " + url + ": " + curl.output());
            ExternalProcess.Result lint = ExternalProcess.run(TIMEOUT, Map.of(),
                    List.of("sh", "-c", "exec promtool check metrics < \"$0\"", file.toString()));
            assertEquals(List.of(DAYS_REMARK), lint.output().lines().toList(), "promtool check metrics:\n" + lint.output());
            assertEquals(3, lint.exitCode(), "promtool's exit code for lint problems only:\n" + lint.output());
            ExternalProcess.Result parsed = ExternalProcess.run(TIMEOUT, Map.of(), List.of(dumper().toString(), file.toString()));
            assertEquals(0, parsed.exitCode(), "expfmt: " + parsed.output());
            return parse(parsed.output(), Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static PromScrape parse(String dump, String text) {
        Map<String, String> types = new TreeMap<>();
        List<Sample> samples = new ArrayList<>();
        for (String line : dump.lines().toList()) {
            if (line.startsWith("TYPE ")) {
                String[] parts = line.split(" ");
                types.put(parts[1], parts[2]);
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                throw new AssertionError("unexpected expfmt_dump line: " + line);
            }
            Map<String, String> labels = new LinkedHashMap<>();
            Matcher l = LABEL.matcher(m.group(2));
            while (l.find()) {
                labels.put(l.group(1), unquote(l.group(2)));
            }
            String v = m.group(3);
            double value = v.equals("+Inf") ? Double.POSITIVE_INFINITY : v.equals("-Inf") ? Double.NEGATIVE_INFINITY
                    : Double.parseDouble(v);
            samples.add(new Sample(m.group(1), labels, value));
        }
        return new PromScrape(types, samples, text);
    }

    private static String unquote(String goQuoted) {
        return goQuoted.replace("\\\"", "\"").replace("\\\\", "\\");
    }

    /** The families expfmt saw and their types ({@code counter}, {@code gauge}, {@code histogram}...). */
    public Map<String, String> types() {
        return types;
    }

    /** Every sample. */
    public List<Sample> samples() {
        return samples;
    }

    /** The exposition as scraped, for failure messages. */
    public String text() {
        return text;
    }

    /**
     * The value of the one sample of {@code name} whose labels are exactly {@code labels}
     * ({@code name, value, name, value...}).
     *
     * @throws AssertionError when there is no such sample
     */
    public double value(String name, String... labels) {
        Map<String, String> wanted = pairs(labels);
        for (Sample s : samples) {
            if (s.name().equals(name) && s.labels().equals(wanted)) {
                return s.value();
            }
        }
        throw new AssertionError("no sample " + name + wanted + " in\n" + text);
    }

    /** {@link #value} as a long, for counters. */
    public long count(String name, String... labels) {
        return Math.round(value(name, labels));
    }

    /** The sum of every sample of {@code name} whose labels include {@code match}; 0 when none. */
    public double sum(String name, String... match) {
        Map<String, String> wanted = pairs(match);
        double total = 0;
        for (Sample s : samples) {
            if (s.name().equals(name) && s.labels().entrySet().containsAll(wanted.entrySet())) {
                total += s.value();
            }
        }
        return total;
    }

    /** The samples of {@code name} with a non-zero value, labels to value (for failure messages and exact checks). */
    public Map<Map<String, String>, Double> nonZero(String name) {
        Map<Map<String, String>, Double> out = new LinkedHashMap<>();
        for (Sample s : samples) {
            if (s.name().equals(name) && s.value() != 0) {
                out.put(new TreeMap<>(s.labels()), s.value());
            }
        }
        return out;
    }

    private static Map<String, String> pairs(String... labels) {
        if (labels.length % 2 != 0) {
            throw new IllegalArgumentException("labels come in name, value pairs");
        }
        Map<String, String> out = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            out.put(labels[i], labels[i + 1]);
        }
        return out;
    }

    /**
     * The expfmt dumper ({@code expfmt_dump FILE} prints every sample as JSON), built once per
     * JVM on first use (GOPATH mode, Debian's Go packages, no network).
     */
    public static synchronized Path dumper() throws IOException {
        if (dumper != null) {
            return dumper;
        }
        Path work = Files.createTempDirectory("push-relay-expfmt");
        Path source = work.resolve("expfmt_dump.go");
        try (InputStream in = PromScrape.class.getResourceAsStream("/io/pushrelay/core/admin/expfmt_dump.go")) {
            assertNotNull(in, "expfmt_dump.go on the test class path");
            Files.copy(in, source);
        }
        Path binary = work.resolve("expfmt_dump");
        Map<String, String> env = Map.of(
                "GOPATH", "/usr/share/gocode",
                "GO111MODULE", "off",
                "GOFLAGS", "",
                "GOCACHE", Path.of(System.getProperty("java.io.tmpdir"), "push-relay-go-cache").toString());
        ExternalProcess.Result build = ExternalProcess.run(TIMEOUT, env,
                List.of("go", "build", "-o", binary.toString(), source.toString()));
        assertEquals(0, build.exitCode(),
                "go build of the expfmt parser (needs Debian's golang-go and golang-github-prometheus-common-dev):\n"
                        + build.output());
        binary.toFile().deleteOnExit();
        source.toFile().deleteOnExit();
        work.toFile().deleteOnExit();
        dumper = binary;
        return binary;
    }
}
