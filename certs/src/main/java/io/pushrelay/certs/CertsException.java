package io.pushrelay.certs;

/**
 * A certificate operation that failed for a reason the user can fix. The message reads
 * {@code <what>: <cause>}, which the command line prints after {@code ERROR: }.
 */
public class CertsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String what;
    private final String cause;

    public CertsException(String what, String cause) {
        this(what, cause, null);
    }

    public CertsException(String what, String cause, Throwable source) {
        super(what + ": " + cause, source);
        this.what = what;
        this.cause = cause;
    }

    public String what() {
        return what;
    }

    public String reason() {
        return cause;
    }
}
