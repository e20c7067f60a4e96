package io.pushrelay.core.check;

import java.util.Objects;

/**
 * One printed line of a check: {@code ✔ TEXT}, {@code ✔ TEXT — warning: WARNING},
 * {@code ✘ TEXT — fix: FIX}, or {@code - TEXT}.
 *
 * @param status  how the step ended
 * @param step    the step's name ({@code config}, {@code files}, {@code certificate}, {@code listen},
 *                {@code resolve}, {@code trust}, {@code proxy}, {@code connect}, {@code upstream},
 *                {@code tls}, {@code alpn}, {@code send-test}), for tests and {@code --skip}
 * @param text    what was checked and what was found
 * @param fix     for {@link CheckStatus#FAIL}, a concrete fix (a command, a config key); else null
 * @param warning for {@link CheckStatus#PASS}, something to act on soon (a certificate expiring); else null
 */
public record CheckLine(CheckStatus status, String step, String text, String fix, String warning) {
    public CheckLine {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(step, "step");
        Objects.requireNonNull(text, "text");
        if (status == CheckStatus.FAIL && (fix == null || fix.isBlank())) {
            throw new IllegalArgumentException("a failed check line needs a fix: " + text);
        }
    }

    /** The line as printed. */
    public String render() {
        return switch (status) {
            case PASS -> "✔ " + text + (warning == null ? "" : " — warning: " + warning);
            case FAIL -> "✘ " + text + " — fix: " + fix;
            case SKIP -> "- " + text;
        };
    }

    @Override
    public String toString() {
        return render();
    }
}
