package io.clawgress.enforcement.audit;

/** What the gateway does when the audit log cannot keep every record ({@code audit.on_overflow}). */
public enum OverflowMode {
    /** Admit flows; a record that finds the queue full is dropped, counted, and announced by a {@code gap} record. */
    DROP_AND_GAP("drop_and_gap"),
    /**
     * Refuse new flows ({@link AuditLog#accepting()} is false) while the queue is full or the audit directory cannot
     * be written; the data path resets them with termination {@code audit_unavailable}. Records of flows already
     * admitted may still be dropped, and are announced by a gap record as in {@link #DROP_AND_GAP}.
     */
    REFUSE_NEW_FLOWS("refuse_new_flows");

    private final String code;

    OverflowMode(String code) {
        this.code = code;
    }

    /** The config value. */
    public String code() {
        return code;
    }

    /** The mode for a config value, or {@code null} when there is none. */
    public static OverflowMode ofCode(String code) {
        for (OverflowMode m : values()) {
            if (m.code.equals(code)) {
                return m;
            }
        }
        return null;
    }
}
