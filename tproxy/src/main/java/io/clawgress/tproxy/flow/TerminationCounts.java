package io.clawgress.tproxy.flow;

import io.clawgress.api.Termination;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Flows ended, per termination code, counted from the same moment as the flow record (so metrics and records agree).
 * Contended by every event loop: LongAdder cells, no lock. The metrics issue exports these; until then the daemon
 * logs them when it stops.
 */
public final class TerminationCounts {

    private final Map<Termination, LongAdder> counts = new EnumMap<>(Termination.class);

    public TerminationCounts() {
        for (Termination t : Termination.values()) {
            counts.put(t, new LongAdder());
        }
    }

    void add(Termination t) {
        counts.get(t).increment();
    }

    public long get(Termination t) {
        return counts.get(t).sum();
    }

    /** Non-zero counts, e.g. {@code completed=12 policy_denied=3}. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<Termination, LongAdder> e : counts.entrySet()) {
            long n = e.getValue().sum();
            if (n > 0) {
                sb.append(sb.isEmpty() ? "" : " ").append(e.getKey().code()).append('=').append(n);
            }
        }
        return sb.isEmpty() ? "none" : sb.toString();
    }
}
