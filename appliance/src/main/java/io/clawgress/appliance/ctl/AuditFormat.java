package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.enforcement.audit.CanonicalJson;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static io.clawgress.enforcement.audit.AuditFields.ACTION;
import static io.clawgress.enforcement.audit.AuditFields.CHECKPOINT_OF;
import static io.clawgress.enforcement.audit.AuditFields.DELETED_BYTES;
import static io.clawgress.enforcement.audit.AuditFields.DELETED_SEGMENTS;
import static io.clawgress.enforcement.audit.AuditFields.GID;
import static io.clawgress.enforcement.audit.AuditFields.KEY_ID;
import static io.clawgress.enforcement.audit.AuditFields.METHOD;
import static io.clawgress.enforcement.audit.AuditFields.OUTCOME;
import static io.clawgress.enforcement.audit.AuditFields.PATH;
import static io.clawgress.enforcement.audit.AuditFields.PID;
import static io.clawgress.enforcement.audit.AuditFields.RETAINED_FROM_SEQ;
import static io.clawgress.enforcement.audit.AuditFields.SEQ;
import static io.clawgress.enforcement.audit.AuditFields.TARGET;
import static io.clawgress.enforcement.audit.AuditFields.TYPE_ADMIN;
import static io.clawgress.enforcement.audit.AuditFields.TYPE_CHECKPOINT;
import static io.clawgress.enforcement.audit.AuditFields.TYPE_RETENTION;
import static io.clawgress.enforcement.audit.AuditFields.UID;
import static io.clawgress.enforcement.flowlog.FlowRecordFields.*;

/**
 * How {@code audit tail|query|export} print records: one human line, the record's JSON line, or a CSV row. Values come
 * from the records, and some of them (SNI, Host, request target, an admin call's path) from the agents' traffic or
 * local callers: in human lines, control and format characters are escaped so a record cannot drive the terminal.
 */
final class AuditFormat {

    /**
     * The CSV columns in order (docs/clawgressctl.md): each is the record field of that name (agent_id and auth come
     * from {@code identity}), so every record type fills the columns it has. Admin records share time, type, status
     * and detail with the decision records; their own fields come last, after the decision columns, so the columns
     * of decision records keep their places.
     */
    static final List<String> CSV_COLUMNS = List.of(TIME, TYPE, FLOW_ID, SEQUENCE, AGENT_ID, AUTH, SOURCE,
            ORIGINAL_DESTINATION, SNI, HTTP_HOST, HTTP_METHOD, HTTP_TARGET, VERDICT, RULE, POLICY_REVISION,
            TERMINATION, BYTES_UP, BYTES_DOWN, DURATION_MS, STATUS, CODE, UPSTREAM_STATUS, UID, GID, PID, METHOD, PATH,
            ACTION, TARGET, OUTCOME, DETAIL);

    /** RFC 4180 §2: records end with CRLF. */
    static final String CSV_EOL = "\r\n";

    private AuditFormat() {
    }

    /**
     * One line per record, for people:
     * {@code TIME TYPE VERDICT agent=ID dst=ADDR sni=NAME host=NAME METHOD TARGET rule=ID END}, where a flow ends with
     * its termination and a request with its status and code ({@code forwarded}, the upstream's status and, when the
     * connection ended first, its ending, when it was relayed). An admin call is
     * {@code TIME admin uid=UID ACTION target=ID OUTCOME STATUS detail=TEXT} (target and detail when it has them).
     */
    static String line(JsonNode r) {
        StringBuilder b = new StringBuilder();
        b.append(orDash(r, TIME)).append(' ');
        String type = r.path(TYPE).asText("?");
        switch (type) {
            case TYPE_FLOW, TYPE_REQUEST -> decision(b, r, type);
            case TYPE_ADMIN -> admin(b, r);
            case TYPE_GAP -> {
                b.append(TYPE_GAP);
                field(b, "dropped", r.get(DROPPED));
                field(b, "reason", r.get(REASON));
                field(b, "detail", r.get(DETAIL));
            }
            case TYPE_CHECKPOINT -> {
                b.append(TYPE_CHECKPOINT);
                field(b, "seq", r.get(SEQ));
                field(b, "signs_seq", r.path(CHECKPOINT_OF).get(SEQ));
                field(b, "key_id", r.get(KEY_ID));
            }
            case TYPE_RETENTION -> {
                b.append(TYPE_RETENTION);
                field(b, "retained_from_seq", r.get(RETAINED_FROM_SEQ));
                field(b, "deleted_segments", r.get(DELETED_SEGMENTS));
                field(b, "deleted_bytes", r.get(DELETED_BYTES));
                field(b, "reason", r.get(REASON));
            }
            default -> {
                b.append(safe(type));
                field(b, "seq", r.get(SEQ));
            }
        }
        return b.toString().stripTrailing();
    }

    private static void admin(StringBuilder b, JsonNode r) {
        b.append(String.format("%-7s", TYPE_ADMIN));
        field(b, "uid", r.get(UID));
        b.append(' ').append(safe(orDash(r, ACTION)));
        field(b, "target", r.get(TARGET));
        b.append(' ').append(safe(orDash(r, OUTCOME)));
        if (r.hasNonNull(STATUS)) {
            b.append(' ').append(safe(scalar(r.get(STATUS))));
        }
        field(b, "detail", r.get(DETAIL));
    }

    private static void decision(StringBuilder b, JsonNode r, String type) {
        b.append(String.format("%-7s %-9s", type, safe(orDash(r, VERDICT))));
        b.append(" agent=").append(safe(r.path(IDENTITY).path(AGENT_ID).asText("-")));
        field(b, "dst", r.get(ORIGINAL_DESTINATION));
        field(b, "sni", r.get(SNI));
        field(b, "host", r.get(HTTP_HOST));
        if (text(r, HTTP_METHOD) != null) {
            b.append(' ').append(safe(text(r, HTTP_METHOD)));
            if (text(r, HTTP_TARGET) != null) {
                b.append(' ').append(safe(text(r, HTTP_TARGET)));
            }
        }
        field(b, "rule", r.get(RULE));
        if (type.equals(TYPE_FLOW)) {
            b.append(' ').append(safe(orDash(r, TERMINATION)));
        } else if (r.hasNonNull(STATUS) || text(r, CODE) != null) {
            if (r.hasNonNull(STATUS)) {
                b.append(' ').append(scalar(r.get(STATUS)));
            }
            if (text(r, CODE) != null) {
                b.append(' ').append(safe(text(r, CODE)));
            }
        } else {
            b.append(" forwarded");
            if (r.hasNonNull(UPSTREAM_STATUS)) {
                b.append(' ').append(scalar(r.get(UPSTREAM_STATUS)));
            }
            String ended = text(r, TERMINATION);
            if (ended != null && !ended.equals("completed")) {
                b.append(' ').append(safe(ended));
            }
        }
        if (r.path(WOULD_DENY).asBoolean(false)) {
            b.append(" would_deny");
        }
        if (r.path(WOULD_LIMIT).asBoolean(false)) {
            b.append(" would_limit");
        }
    }

    private static void field(StringBuilder b, String name, JsonNode value) {
        if (value != null && !value.isNull() && !value.isMissingNode()) {
            b.append(' ').append(name).append('=').append(safe(scalar(value)));
        }
    }

    /** The record's line as the writer wrote it: its canonical JSON (RFC 8785), without the newline. */
    static String jsonLine(JsonNode r) {
        return new String(CanonicalJson.bytes(r), StandardCharsets.UTF_8);
    }

    static String csvHeader() {
        return String.join(",", CSV_COLUMNS) + CSV_EOL;
    }

    /** One CSV row with the line end: a missing or null value is an empty field. */
    static String csvRow(JsonNode r) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < CSV_COLUMNS.size(); i++) {
            String column = CSV_COLUMNS.get(i);
            JsonNode v = column.equals(AGENT_ID) || column.equals(AUTH) ? r.path(IDENTITY).get(column) : r.get(column);
            if (i > 0) {
                b.append(',');
            }
            if (v != null && !v.isNull() && !v.isMissingNode()) {
                b.append(csvField(scalar(v)));
            }
        }
        return b.append(CSV_EOL).toString();
    }

    /** RFC 4180 §2 (6, 7): a field with a comma, a double quote, CR or LF is quoted, its quotes doubled. */
    static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\r') < 0 && s.indexOf('\n') < 0) {
            return s;
        }
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** A scalar as text: strings as they are, numbers as the canonical form writes them, anything else as JSON. */
    private static String scalar(JsonNode v) {
        return v.isTextual() ? v.textValue() : new String(CanonicalJson.bytes(v), StandardCharsets.UTF_8);
    }

    private static String text(JsonNode r, String field) {
        return r.path(field).textValue();
    }

    private static String orDash(JsonNode r, String field) {
        JsonNode v = r.get(field);
        return v == null || v.isNull() ? "-" : scalar(v);
    }

    /** {@code s} with control and format characters (C0, DEL, C1, bidi overrides...) escaped as {@code \\uXXXX}. */
    static String safe(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean escape = Character.isISOControl(c) || Character.getType(c) == Character.FORMAT || c == '\\';
            if (escape && b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (b != null) {
                if (escape) {
                    b.append(c == '\\' ? "\\\\" : String.format("\\u%04x", (int) c));
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? s : b.toString();
    }
}
