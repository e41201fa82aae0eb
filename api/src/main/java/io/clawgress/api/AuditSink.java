package io.clawgress.api;

/**
 * Receives one record per flow (and, behind the L7 gate, one per request). Called on data-plane event loops: must never block or throw; an
 * implementation that cannot keep up counts what it could not keep and says so in its output.
 */
@FunctionalInterface
public interface AuditSink {
    void record(FlowRecord record);

    /** Receives one record per HTTP request the L7 gate decided; the same rules apply. Ignored by default. */
    default void request(RequestRecord record) {
    }
}
