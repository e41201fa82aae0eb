/**
 * The tamper-evident audit log (DESIGN.md §6, docs/audit.md): {@link io.clawgress.enforcement.audit.AuditLog} writes
 * hash-chained JSON Lines segments from one writer thread fed by a bounded queue, with Ed25519-signed checkpoints
 * ({@link io.clawgress.enforcement.audit.AuditKey}); {@link io.clawgress.enforcement.audit.AuditVerifier} walks
 * the chain offline and names the first bad record; {@link io.clawgress.enforcement.audit.AuditReader} iterates,
 * filters and follows records for {@code clawgressctl audit tail|query|export}.
 */
package io.clawgress.enforcement.audit;
