package io.pushrelay.pre.e2e;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.pushrelay.core.config.ConfigLoader;
import io.pushrelay.core.config.PreConfig;
import io.pushrelay.core.observe.AccessLog;
import io.pushrelay.pre.PreRelay;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * relay-pre in this JVM ({@link PreRelay#start}), from YAML, on 127.0.0.1 with free ports and the
 * scenario's downstream certificate; Netty's paranoid leak detection of the test JVM watches it.
 * Its access log is collected here (one entry per answered request) instead of going to the
 * console. Close to stop it.
 */
final class InJvmRelay implements AutoCloseable {
    final PreRelay relay;
    private final Logger accessLogger = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER_NAME);
    private final ListAppender<ILoggingEvent> accessLines = new ListAppender<>();

    /**
     * @param pki  the scenario PKI (for {@code tls})
     * @param yaml the rest of the config ({@code routes}, {@code proxy}, {@code upstream}...)
     */
    InJvmRelay(E2ePki pki, Path baseDir, String yaml) throws Exception {
        String config = String.join("\n",
                "listen: 127.0.0.1:0",
                "admin:",
                "  listen: 127.0.0.1:0",
                "tls:",
                "  cert: " + pki.relayCert(),
                "  key: " + pki.relayKey(),
                yaml);
        PreConfig parsed = ConfigLoader.parse(config, "test config", baseDir, PreConfig.class);
        accessLines.start();
        accessLogger.addAppender(accessLines);
        accessLogger.setAdditive(false);
        try {
            relay = PreRelay.start(parsed);
        } catch (RuntimeException e) {
            detach();
            throw e;
        }
    }

    int port() {
        return relay.address().getPort();
    }

    /** The access-log lines so far. */
    List<String> accessLog() {
        synchronized (accessLines) {
            return accessLines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    String metrics() {
        return relay.metrics().scrape();
    }

    @Override
    public void close() {
        try {
            relay.close();
        } finally {
            detach();
        }
    }

    private void detach() {
        accessLogger.detachAppender(accessLines);
        accessLogger.setAdditive(true);
        accessLines.stop();
    }
}
