package io.pushrelay.core.testing;

import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test when Netty reported a buffer leak while it ran. Registered for every test
 * through {@code junit-platform.properties} (automatic extension detection). Leak reports
 * come from the GC, so it forces one collection and gives the detector a moment.
 */
public final class LeakCheckExtension implements AfterEachCallback {
    @Override
    public void afterEach(ExtensionContext context) {
        System.gc();
        try {
            Thread.sleep(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Allocating triggers the detector's queue processing.
        io.netty.buffer.ByteBuf probe = io.netty.buffer.PooledByteBufAllocator.DEFAULT.buffer(1);
        probe.release();
        List<String> leaks = LeakFailingAppender.drain();
        if (!leaks.isEmpty()) {
            throw new AssertionError("Netty reported " + leaks.size() + " buffer leak(s):\n" + leaks.get(0));
        }
    }
}
