package io.pushrelay.core.sim;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslContext;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * What an HTTP simulator (APNS, FCM) plugs into the shared TLS pipeline
 * ({@link SimHandlerNames}): its service, HTTP/2 settings, fault injection, whether it also
 * speaks HTTP/1.1, and the connection counters. Immutable apart from the counters; shared by
 * every connection of one simulator.
 */
final class SimEndpoint {
    /** {@code apns} or {@code fcm}: log prefix and connection-id prefix. */
    final String name;
    final SimService service;
    final boolean http1;
    /** Body bytes kept per request; more is counted but not kept. */
    final int maxBodyBytes;
    final int initialMaxStreams;
    /** SETTINGS_MAX_CONCURRENT_STREAMS sent after the first answer; 0 when it never changes. */
    final int raisedMaxStreams;
    final long answerDelayMillis;
    final int goAwayAfterStreams;
    final int dropAfterStreams;
    final ConnectionRegistry connections;

    final LongAdder goAwaysSent = new LongAdder();
    final LongAdder connectionsDropped = new LongAdder();
    final LongAdder protocolRejections = new LongAdder();

    SimEndpoint(String name, SimService service, boolean http1, int maxBodyBytes, int initialMaxStreams,
                int raisedMaxStreams, long answerDelayMillis, int goAwayAfterStreams, int dropAfterStreams) {
        this.name = name;
        this.service = service;
        this.http1 = http1;
        this.maxBodyBytes = maxBodyBytes;
        this.initialMaxStreams = initialMaxStreams;
        this.raisedMaxStreams = raisedMaxStreams;
        this.answerDelayMillis = answerDelayMillis;
        this.goAwayAfterStreams = goAwayAfterStreams;
        this.dropAfterStreams = dropAfterStreams;
        this.connections = new ConnectionRegistry(name);
    }

    /** Sets up an accepted channel: {@link SimHandlerNames#TLS} then {@link SimHandlerNames#PROTOCOL}. */
    Consumer<Channel> initializer(SslContext sslContext) {
        return ch -> {
            SimConnection connection = connections.open(ch);
            ch.pipeline()
                    .addLast(SimHandlerNames.TLS, sslContext.newHandler(ch.alloc()))
                    .addLast(SimHandlerNames.PROTOCOL, new SimProtocolHandler(this, connection));
        };
    }

    /** ALPN protocols to offer, preferred first. */
    String[] alpn() {
        return http1 ? new String[] {"h2", "http/1.1"} : new String[] {"h2"};
    }

    List<ConnectionStats> connectionStats() {
        return connections.stats();
    }
}
