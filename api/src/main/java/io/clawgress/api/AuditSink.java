package io.clawgress.api;

/**
 * Receives one record per flow. Called on data-plane event loops: must never block or throw; an
 * implementation that cannot keep up counts what it could not keep and says so in its output.
 */
@FunctionalInterface
public interface AuditSink {
    void record(FlowRecord record);
}
