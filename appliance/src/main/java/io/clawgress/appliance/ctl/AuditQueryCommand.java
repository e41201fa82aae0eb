package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.audit.AuditEntry;
import io.clawgress.enforcement.audit.AuditQuery;
import io.clawgress.enforcement.audit.AuditReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.stream.Stream;

/**
 * {@code clawgressctl audit query}: the matching records, oldest first, read lazily segment by segment (the JSON form
 * is streamed too, so a large answer never sits in memory).
 */
@Command(name = "query", mixinStandardHelpOptions = true,
        description = {"Print the decision records (with --type, others too, such as admin API calls) that match every"
                + " filter given, oldest first."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:printed (possibly no record)", "2:bad arguments", "78:the directory cannot be read"})
final class AuditQueryCommand extends AuditVerb {

    @Mixin
    AuditFilters filters;

    @Option(names = "--limit", paramLabel = "N", description = "Print at most N records, the oldest first.")
    Long limit;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    protected boolean jsonOutput() {
        return json;
    }

    @Override
    protected int run() throws Failure {
        if (limit != null && limit < 1) {
            throw usage("--limit " + limit + " (expected: >= 1)");
        }
        AuditQuery query = filters.query(clock().instant(), this);
        requireDir();
        AuditReader reader = new AuditReader(dir);
        try (Stream<AuditEntry> records = reader.read(query)) {
            Iterator<AuditEntry> it = records.iterator();
            if (json) {
                printJson(query, it, reader);
            } else {
                long count = 0;
                for (; it.hasNext() && (limit == null || count < limit); count++) {
                    out().println(AuditFormat.line(it.next().record()));
                }
                boolean more = it.hasNext();
                out().println(count + (count == 1 ? " record" : " records")
                        + (more ? "; more match (--limit " + limit + ")" : ""));
            }
        } catch (IOException e) {
            throw unreadable(e);
        } catch (UncheckedIOException e) {
            throw unreadable(e);
        }
        warnSkipped(reader.skippedLines());
        return ExitCodes.OK;
    }

    /** {@code {dir, filters, limit, records, count, more, skipped_lines}}, written as it is read. */
    private void printJson(AuditQuery query, Iterator<AuditEntry> it, AuditReader reader) throws IOException {
        try (JsonGenerator g = Json.MAPPER.createGenerator(out())) {
            g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            g.setPrettyPrinter(new DefaultPrettyPrinter());
            g.writeStartObject();
            g.writeStringField("dir", dir.toString());
            g.writeFieldName("filters");
            g.writeTree(filters.json(query));
            if (limit == null) {
                g.writeNullField("limit");
            } else {
                g.writeNumberField("limit", limit);
            }
            g.writeArrayFieldStart("records");
            long count = 0;
            for (; it.hasNext() && (limit == null || count < limit); count++) {
                g.writeTree(it.next().record());
            }
            g.writeEndArray();
            g.writeNumberField("count", count);
            g.writeBooleanField("more", it.hasNext());
            g.writeNumberField("skipped_lines", reader.skippedLines());
            g.writeEndObject();
        }
        out().println();
    }
}
