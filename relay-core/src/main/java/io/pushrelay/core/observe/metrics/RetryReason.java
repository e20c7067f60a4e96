package io.pushrelay.core.observe.metrics;

/**
 * Why a request was sent upstream again; the {@code reason} label of
 * {@code push_relay_upstream_retries_total}. Only what the upstream provably did not process
 * is retried.
 */
public enum RetryReason {
    /** The upstream reset the stream with REFUSED_STREAM (RFC 9113 section 8.7). */
    REFUSED_STREAM("refused_stream"),
    /** A GOAWAY's last-stream-id was below the stream (RFC 9113 section 6.8). */
    GOAWAY("goaway"),
    /** The connection the request waited for failed before the stream was sent. */
    NOT_SENT("not_sent");

    private final String label;

    RetryReason(String label) {
        this.label = label;
    }

    /** The label value. */
    public String label() {
        return label;
    }
}
