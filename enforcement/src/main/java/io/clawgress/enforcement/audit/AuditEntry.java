package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;

import static io.clawgress.enforcement.flowlog.FlowRecordFields.TIME;
import static io.clawgress.enforcement.flowlog.FlowRecordFields.TYPE;

/**
 * One record as {@link AuditReader} found it.
 *
 * @param segment the segment file
 * @param line    1-based line number in it
 * @param record  the record, every field as written (docs/audit-record.schema.json)
 */
public record AuditEntry(Path segment, long line, ObjectNode record) {

    public long seq() {
        return record.path(AuditFields.SEQ).asLong();
    }

    public String type() {
        return record.path(TYPE).asText();
    }

    /** The record's {@code time}, or {@code null} when it is missing or not an ISO 8601 instant. */
    public Instant time() {
        try {
            return Instant.parse(record.path(TIME).asText());
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
