package io.pushrelay.post.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pushrelay.certs.CertificateAuthority;
import io.pushrelay.core.forward.Downstream;
import io.pushrelay.core.forward.RelayError;
import io.pushrelay.core.forward.RelayRequest;
import io.pushrelay.core.testing.LogCapture;
import io.pushrelay.core.testing.Requests;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The per-client token bucket, on a fake clock. */
class RateLimitTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final RelayRequest request = Requests.apns("{}");

    @AfterEach
    void release() {
        request.release();
    }

    private static Downstream from(String ip, int port, X509Certificate certificate) {
        return new Downstream(new InetSocketAddress(ip, port), "c0ffee00", "post", certificate);
    }

    private int allowed(RateLimit limit, Downstream downstream, int tries) {
        int ok = 0;
        for (int i = 0; i < tries; i++) {
            if (limit.check(request, downstream) == null) {
                ok++;
            }
        }
        return ok;
    }

    @Test
    void burstOfOneSecondThenTheRate() {
        RateLimit limit = new RateLimit(10, now::get);
        Downstream client = from("10.0.0.1", 50000, null);
        assertEquals(10, allowed(limit, client, 15), "the burst: one second's worth");
        assertSame(RelayError.RATE_LIMITED, limit.check(request, client));
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(300));
        assertEquals(3, allowed(limit, client, 10), "3 tokens back after 300 ms at 10/s");
        now.addAndGet(TimeUnit.SECONDS.toNanos(60));
        assertEquals(10, allowed(limit, client, 20), "refilled to the burst, not beyond");
        assertEquals(5 + 1 + 7 + 10, limit.refused());
    }

    @Test
    void everyConnectionOfOneAddressShouldShareItsBucketAndOtherAddressesHaveTheirOwn() {
        RateLimit limit = new RateLimit(2, now::get);
        assertNull(limit.check(request, from("10.0.0.1", 50000, null)));
        assertNull(limit.check(request, from("10.0.0.1", 50001, null)));
        assertSame(RelayError.RATE_LIMITED, limit.check(request, from("10.0.0.1", 50002, null)));
        assertNull(limit.check(request, from("10.0.0.2", 50000, null)));
        assertEquals(2, limit.clients());
    }

    @Test
    void aCertificateShouldBeTheClientWhateverItsAddress() {
        X509Certificate cert = CertificateAuthority.create(CertificateAuthority.Options.defaults().withName("rate CA"))
                .issueClient(CertificateAuthority.LeafOptions.client("legacy-proxy")).certificate();
        RateLimit limit = new RateLimit(1, now::get);
        assertNull(limit.check(request, from("10.0.0.1", 50000, cert)));
        assertSame(RelayError.RATE_LIMITED, limit.check(request, from("10.0.0.9", 50000, cert)));
        assertNull(limit.check(request, from("10.0.0.1", 50001, null)), "the address alone is another client");
    }

    @Test
    void refusalsShouldLogOneLinePerIntervalWithTheCountHeldBack() {
        try (LogCapture log = LogCapture.of(RateLimit.class)) {
            RateLimit limit = new RateLimit(1, now::get);
            Downstream client = from("10.0.0.1", 50000, null);
            allowed(limit, client, 5);
            assertEquals(List.of("client 10.0.0.1 over 1 requests/s: answering 429 RelayTooManyRequests"),
                    log.messages());
            now.addAndGet(TimeUnit.SECONDS.toNanos(RateLimit.LOG_INTERVAL_SECONDS));
            limit.check(request, client);
            limit.check(request, client);
            assertEquals(2, log.messages().size(), log.messages().toString());
            assertTrue(log.messages().get(1).endsWith("(3 more like it since the last line)"), log.messages().toString());
        }
    }

    @Test
    void quietClientsShouldBeForgotten() {
        RateLimit limit = new RateLimit(5, now::get);
        limit.check(request, from("10.0.0.1", 1, null));
        limit.check(request, from("10.0.0.2", 1, null));
        now.addAndGet(TimeUnit.MINUTES.toNanos(2));
        limit.check(request, from("10.0.0.3", 1, null));
        assertEquals(1, limit.clients());
    }
}
