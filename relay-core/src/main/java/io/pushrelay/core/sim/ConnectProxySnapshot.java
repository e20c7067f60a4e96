package io.pushrelay.core.sim;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What a {@link ConnectProxySimulator} has done so far.
 *
 * @param connectionsOpened client connections accepted
 * @param tunnelsOpened     CONNECTs answered 200
 * @param tunnelsActive     tunnels open now
 * @param refusedByStatus   refused CONNECTs by status (400, 403, 407, 501, 503), sorted
 * @param bytesUp           bytes copied client to target, all tunnels (closed ones and open ones so far)
 * @param bytesDown         bytes copied target to client, all tunnels
 * @param records           the most recent finished CONNECTs, oldest first
 */
public record ConnectProxySnapshot(long connectionsOpened, long tunnelsOpened, long tunnelsActive,
                                   Map<Integer, Long> refusedByStatus, long bytesUp, long bytesDown,
                                   List<TunnelRecord> records) {
    public ConnectProxySnapshot {
        refusedByStatus = Collections.unmodifiableMap(new TreeMap<>(refusedByStatus));
        records = List.copyOf(records);
    }

    public long refused(int status) {
        return refusedByStatus.getOrDefault(status, 0L);
    }

    /** One line: {@code tunnels 3 (open 0), refused 2 (403 1, 407 1), up 1234 B, down 5678 B, connections 5}. */
    public String summary() {
        long refused = refusedByStatus.values().stream().mapToLong(Long::longValue).sum();
        String statuses = refusedByStatus.isEmpty() ? ""
                : refusedByStatus.entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                        .collect(Collectors.joining(", ", " (", ")"));
        return "tunnels " + tunnelsOpened + " (open " + tunnelsActive + "), refused " + refused + statuses + ", up "
                + bytesUp + " B, down " + bytesDown + " B, connections " + connectionsOpened;
    }
}
