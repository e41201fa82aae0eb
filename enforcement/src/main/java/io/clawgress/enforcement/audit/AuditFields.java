package io.clawgress.enforcement.audit;

/**
 * Field names and record types the audit log adds to those of a flow record
 * ({@link io.clawgress.enforcement.flowlog.FlowRecordFields}, which every flow and request record keeps, and whose
 * {@code type}, {@code time}, {@code status} and {@code detail} the other record types share).
 */
public final class AuditFields {
    /** Position in the chain: 1 for the first record ever written, then +1 per record, across segments. */
    public static final String SEQ = "seq";
    /** {@link #HASH} of the previous record; 64 zeros for seq 1. */
    public static final String PREV_HASH = "prev_hash";
    /** Lower-case hex SHA-256 of the record's canonical JSON without this field. */
    public static final String HASH = "hash";

    /** Checkpoint: the record it signs, {@code {"seq":..,"hash":..}} (always the checkpoint's predecessor). */
    public static final String CHECKPOINT_OF = "checkpoint_of";
    /** Checkpoint: first 16 hex digits of the SHA-256 of the node audit key's SubjectPublicKeyInfo DER. */
    public static final String KEY_ID = "key_id";
    /** Checkpoint: unpadded base64url Ed25519 signature over {@link AuditKey#checkpointMessage}. */
    public static final String SIGNATURE = "signature";

    /** Retention: first seq still on disk once the segments this record announces are deleted. */
    public static final String RETAINED_FROM_SEQ = "retained_from_seq";
    /** Retention: how many whole segments are deleted. */
    public static final String DELETED_SEGMENTS = "deleted_segments";
    /** Retention: how many bytes they held. */
    public static final String DELETED_BYTES = "deleted_bytes";

    /** Admin: the caller's user id (SO_PEERCRED), unsigned. */
    public static final String UID = "uid";
    /** Admin: the caller's primary group id, unsigned. */
    public static final String GID = "gid";
    /** Admin: the caller's process id; 0 when unknown. */
    public static final String PID = "pid";
    /** Admin: the HTTP method of the call. */
    public static final String METHOD = "method";
    /** Admin: the API path of the call, without the query. */
    public static final String PATH = "path";
    /** Admin: the stable code of what the call does ({@code agent.disable}, {@code bundle.push}, ...). */
    public static final String ACTION = "action";
    /** Admin: what the call acted on (agent id, flow id, revision); absent when nothing in particular. */
    public static final String TARGET = "target";
    /** Admin: {@code ok}, {@code forbidden}, {@code refused} or {@code failed} ({@link AdminRecord.Outcome}). */
    public static final String OUTCOME = "outcome";
    // An admin record's answer and its words keep the flow-record names: FlowRecordFields.STATUS and DETAIL.

    public static final String TYPE_CHECKPOINT = "checkpoint";
    public static final String TYPE_RETENTION = "retention";
    public static final String TYPE_ADMIN = "admin";

    /** Gap {@code reason}: the queue was full (the writer was behind). */
    public static final String GAP_QUEUE_FULL = "queue_full";
    /** Gap {@code reason}: the audit directory could not be written and more records came than memory may hold. */
    public static final String GAP_WRITE_FAILED = "write_failed";
    /** Gap {@code reason}: offered after {@link AuditLog#close} began. */
    public static final String GAP_CLOSED = "closed";

    /** Retention {@code reason}s. */
    public static final String RETENTION_MAX_TOTAL_BYTES = "max_total_bytes";
    public static final String RETENTION_MAX_AGE = "max_age";

    /** The {@link #PREV_HASH} of seq 1. */
    public static final String ZERO_HASH = "0".repeat(64);

    private AuditFields() {
    }
}
