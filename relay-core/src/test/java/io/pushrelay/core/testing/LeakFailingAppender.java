package io.pushrelay.core.testing;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects every Netty {@code LEAK:} report logged in the test JVM. Installed by
 * {@code logback-test.xml}; {@link LeakCheckExtension} fails the test during which one appeared.
 */
public final class LeakFailingAppender extends AppenderBase<ILoggingEvent> {
    private static final List<String> LEAKS = new ArrayList<>();

    @Override
    protected void append(ILoggingEvent event) {
        String message = event.getFormattedMessage();
        if (message != null && message.contains("LEAK:")) {
            synchronized (LEAKS) {
                LEAKS.add(message);
            }
        }
    }

    /** Returns and forgets the leaks seen so far. */
    public static List<String> drain() {
        synchronized (LEAKS) {
            List<String> out = new ArrayList<>(LEAKS);
            LEAKS.clear();
            return out;
        }
    }
}
