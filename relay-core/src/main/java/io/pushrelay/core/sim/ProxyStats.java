package io.pushrelay.core.sim;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The proxy simulator's counters and access log. Thread-safe. */
final class ProxyStats {
    private static final Logger ACCESS = LoggerFactory.getLogger("io.pushrelay.core.sim.proxy.access");

    final LongAdder connectionsOpened = new LongAdder();
    final LongAdder tunnelsOpened = new LongAdder();
    final LongAdder tunnelsActive = new LongAdder();
    final LongAdder bytesUp = new LongAdder();
    final LongAdder bytesDown = new LongAdder();
    private final ConcurrentHashMap<Integer, LongAdder> refused = new ConcurrentHashMap<>();
    private final ArrayDeque<TunnelRecord> records = new ArrayDeque<>();
    private final int recordLimit;

    ProxyStats(int recordLimit) {
        this.recordLimit = recordLimit;
    }

    void refused(TunnelRecord record, String why) {
        refused.computeIfAbsent(record.status(), s -> new LongAdder()).increment();
        ACCESS.info("{} ({})", record.logLine(), why);
        keep(record);
    }

    void tunnelClosed(TunnelRecord record) {
        tunnelsActive.decrement();
        ACCESS.info("{}", record.logLine());
        keep(record);
    }

    private void keep(TunnelRecord record) {
        if (recordLimit == 0) {
            return;
        }
        synchronized (records) {
            records.addLast(record);
            while (records.size() > recordLimit) {
                records.removeFirst();
            }
        }
    }

    List<TunnelRecord> records() {
        synchronized (records) {
            return new ArrayList<>(records);
        }
    }

    ConnectProxySnapshot snapshot() {
        Map<Integer, Long> byStatus = new HashMap<>();
        refused.forEach((status, n) -> byStatus.put(status, n.sum()));
        return new ConnectProxySnapshot(connectionsOpened.sum(), tunnelsOpened.sum(), tunnelsActive.sum(), byStatus,
                bytesUp.sum(), bytesDown.sum(), records());
    }
}
