package io.clawgress.appliance.metrics;

import io.clawgress.api.AuditSink;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.RequestRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts every record in the {@link GatewayMetrics} (decisions, endings, bytes), then hands it on to the audit log
 * and flow log: the metrics are derived from exactly the records that are kept. Runs on the event loops: counting is
 * a few lock-free adds; a failure to count (a bug) is logged once and never keeps a record from the next sink.
 */
final class MetricsSink implements AuditSink {

    private static final Logger log = LoggerFactory.getLogger(MetricsSink.class);

    private final GatewayMetrics metrics;
    private final AuditSink next;
    private final AtomicLong countingFailures = new AtomicLong();

    MetricsSink(GatewayMetrics metrics, AuditSink next) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.next = Objects.requireNonNull(next, "next");
    }

    @Override
    public void record(FlowRecord record) {
        try {
            metrics.flow(record);
        } catch (RuntimeException e) {
            failed(e);
        }
        next.record(record);
    }

    @Override
    public void request(RequestRecord record) {
        try {
            metrics.request(record);
        } catch (RuntimeException e) {
            failed(e);
        }
        next.request(record);
    }

    private void failed(RuntimeException e) {
        if (countingFailures.getAndIncrement() == 0) {
            log.error("metrics: counting a record failed (records are still written; later failures are not"
                    + " logged)", e);
        }
    }

    /** Records that could not be counted (a bug when non-zero). */
    long countingFailures() {
        return countingFailures.get();
    }
}
