package io.clawgress.appliance.daemon;

import io.clawgress.api.AuditSink;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.RequestRecord;

import java.util.List;

/** Hands every record to each sink in turn (the audit log, and the plain flow log). Never blocks: neither do they. */
record TeeSink(List<AuditSink> sinks) implements AuditSink {

    TeeSink {
        sinks = List.copyOf(sinks);
    }

    @Override
    public void record(FlowRecord record) {
        for (AuditSink s : sinks) {
            s.record(record);
        }
    }

    @Override
    public void request(RequestRecord record) {
        for (AuditSink s : sinks) {
            s.request(record);
        }
    }
}
