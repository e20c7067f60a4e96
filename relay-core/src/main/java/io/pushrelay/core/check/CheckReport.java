package io.pushrelay.core.check;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The lines of one check, printed as they are added (a slow network step shows the lines before
 * it at once), and the exit code they add up to: 0 when nothing failed, 1 otherwise (a config that
 * could not be loaded is 2, see {@link RoleCheck#configFailed}). Not thread-safe: steps add lines
 * from the thread that runs the check.
 */
public final class CheckReport {
    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int CONFIG_ERROR = 2;

    private final PrintWriter out;
    private final List<CheckLine> lines = new ArrayList<>();

    public CheckReport(PrintWriter out) {
        this.out = out;
    }

    public void pass(String step, String text) {
        add(new CheckLine(CheckStatus.PASS, step, text, null, null));
    }

    /** Passed, with something to act on soon. */
    public void warn(String step, String text, String warning) {
        add(new CheckLine(CheckStatus.PASS, step, text, null, warning));
    }

    public void fail(String step, String text, String fix) {
        add(new CheckLine(CheckStatus.FAIL, step, text, fix, null));
    }

    /** Not run; {@code text} says what and why ({@code upstream TLS x: skipped (proxy unreachable)}). */
    public void skip(String step, String text) {
        add(new CheckLine(CheckStatus.SKIP, step, text, null, null));
    }

    void add(CheckLine line) {
        lines.add(line);
        out.println(line.render());
        out.flush();
    }

    public List<CheckLine> lines() {
        return List.copyOf(lines);
    }

    public List<CheckLine> failures() {
        return lines.stream().filter(l -> l.status() == CheckStatus.FAIL).toList();
    }

    public boolean failed() {
        return lines.stream().anyMatch(l -> l.status() == CheckStatus.FAIL);
    }

    /** 0 when no line failed, else 1. */
    public int exitCode() {
        return failed() ? FAILED : OK;
    }

    /** {@code check: all 12 passed} or {@code check: 2 of 12 failed, 1 skipped}. */
    public String summary() {
        long passed = count(CheckStatus.PASS);
        long failedCount = count(CheckStatus.FAIL);
        long skipped = count(CheckStatus.SKIP);
        long run = passed + failedCount;
        String head = failedCount == 0 ? "check: all " + run + " passed" : "check: " + failedCount + " of " + run + " failed";
        return head + (skipped == 0 ? "" : ", " + skipped + " skipped");
    }

    private long count(CheckStatus status) {
        return lines.stream().filter(l -> l.status() == status).count();
    }
}
