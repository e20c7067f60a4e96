package io.pushrelay.core.observe.logging;

import ch.qos.logback.classic.LoggerContext;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.logging.LoggingHandler;
import io.pushrelay.core.config.AccessLog;
import io.pushrelay.core.config.LogFormat;
import io.pushrelay.core.config.LogLevel;
import io.pushrelay.core.config.LogSettings;
import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A relay's logging in a process of its own, for {@link LogSetupProcessTest}: configures
 * Logback with {@link LogSetup} (or leaves the default {@code logback.xml}), then logs a fixed
 * set of events, secrets included, and feeds a payload through Netty's {@link LoggingHandler}.
 *
 * <p>Arguments: {@code default}, or {@code FORMAT ACCESS LEVEL [nofilter]} with the config
 * spellings ({@code text stdout info}); {@code nofilter} removes the turbo filters afterwards
 * to show what the payload filter keeps out.
 */
public final class LogProbe {
    static final String PAYLOAD = "SECRET-PAYLOAD";
    static final String ACCESS_LINE = "2026-11-26T03:12:01.123Z 127.0.0.1:50412 api.push.apple.com POST /3/device/"
            + Secrets.TOKEN + " 200 apns-id=0a1b2c3d-0000-4000-8000-000000000001 up=u3 flag=- 3.2ms";

    private LogProbe() {
    }

    public static void main(String[] args) {
        if (!args[0].equals("default")) {
            LogSetup.configure(new LogSettings(LogFormat.valueOf(args[0].toUpperCase(Locale.ROOT)),
                    accessLog(args[1]), LogLevel.valueOf(args[2].toUpperCase(Locale.ROOT))));
            if (args.length > 3 && args[3].equals("nofilter")) {
                ((LoggerContext) LoggerFactory.getILoggerFactory()).resetTurboFilterList();
            }
        }
        Logger log = LoggerFactory.getLogger("io.pushrelay.probe");
        log.info("probe info {}", "/3/device/" + Secrets.TOKEN);
        log.debug("probe debug");
        log.warn("probe warn", new IOException("reset by peer, authorization: bearer " + Secrets.JWT,
                new SocketException("broken pipe")));
        Logger netty = LoggerFactory.getLogger("io.netty.probe");
        netty.info("netty info");
        netty.warn("netty warn");
        LoggerFactory.getLogger(LogSetup.ACCESS_LOGGER).atInfo().addKeyValue("status", 200)
                .addKeyValue("path", "/3/device/" + Secrets.TOKEN).log(ACCESS_LINE);

        EmbeddedChannel channel = new EmbeddedChannel(new LoggingHandler());
        channel.writeInbound(Unpooled.copiedBuffer(PAYLOAD, StandardCharsets.US_ASCII));
        ByteBuf read = channel.readInbound();
        read.release();
        channel.finishAndReleaseAll();

        log.info("probe line\nforged");
        log.info("probe done");
    }

    private static AccessLog accessLog(String spelling) {
        return switch (spelling) {
            case "stdout" -> AccessLog.STDOUT;
            case "off" -> AccessLog.OFF;
            default -> AccessLog.file(java.nio.file.Path.of(spelling));
        };
    }
}
