package io.pushrelay.core.check;

/** How one check step ended, and the mark its line starts with. */
public enum CheckStatus {
    /** Passed (possibly with a warning). */
    PASS("✔"),
    /** Failed; the line carries the fix. */
    FAIL("✘"),
    /** Not run: skipped on request, or because a step it depends on failed. */
    SKIP("-");

    private final String mark;

    CheckStatus(String mark) {
        this.mark = mark;
    }

    public String mark() {
        return mark;
    }
}
