package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.enforcement.audit.AuditFields;
import io.clawgress.enforcement.audit.AuditQuery;
import io.clawgress.enforcement.flowlog.FlowRecordFields;
import picocli.CommandLine;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The record filters of {@code audit tail|query|export}, combined with AND ({@link AuditQuery}). Times are resolved
 * against the root command's clock, so {@code --since 1h} means the same instant for the whole run.
 */
final class AuditFilters {

    /** Every record type, and what {@code --type} defaults to: the decision records. */
    static final List<String> TYPES = List.of(FlowRecordFields.TYPE_FLOW, FlowRecordFields.TYPE_REQUEST,
            AuditFields.TYPE_ADMIN, FlowRecordFields.TYPE_GAP, AuditFields.TYPE_CHECKPOINT,
            AuditFields.TYPE_RETENTION);
    static final Set<String> DECISIONS = Set.of(FlowRecordFields.TYPE_FLOW, FlowRecordFields.TYPE_REQUEST);

    @Option(names = "--agent", paramLabel = "ID", description = "Only records of this agent (identity.agent_id), and"
            + " admin calls on it (agent.* actions whose target is ID).")
    String agent;

    @Option(names = "--since", paramLabel = "T", converter = TimeConverter.class,
            description = "Only records at or after T: an ISO-8601 instant (2026-11-21T12:00:00Z), a date (midnight"
                    + " UTC), or a duration back from now (90s, 30m, 1h, 7d).")
    Time since;

    @Option(names = "--until", paramLabel = "T", converter = TimeConverter.class,
            description = "Only records before T (the same forms as --since).")
    Time until;

    @Option(names = "--verdict", paramLabel = "V", converter = VerdictConverter.class,
            description = "Only records with this verdict: relay, intercept or deny.")
    String verdict;

    @Option(names = "--rule", paramLabel = "ID", description = "Only records decided by this rule.")
    String rule;

    @Option(names = "--destination", paramLabel = "HOST_OR_ADDR",
            description = "Only records whose original destination or dialled address (host:port, or the host), SNI"
                    + " or HTTP Host is this, ignoring case.")
    String destination;

    @Option(names = "--type", paramLabel = "TYPE", split = ",", converter = TypeConverter.class,
            description = "Record types: flow, request, admin, gap, checkpoint, retention, or all (default:"
                    + " flow,request).")
    List<String> types;

    /**
     * The query these options describe, with relative times counted back from {@code now}.
     *
     * @throws CommandLine.ParameterException when {@code --since} is not before {@code --until}
     */
    AuditQuery query(Instant now, CtlCommand command) {
        Instant from = since == null ? null : since.resolve(now);
        Instant to = until == null ? null : until.resolve(now);
        if (from != null && to != null && !from.isBefore(to)) {
            throw command.usage("--since " + since.text() + ": " + from + " (expected: before --until "
                    + until.text() + ": " + to + ")");
        }
        return new AuditQuery(typeSet(), agent, from, to, verdict, rule, destination);
    }

    /** The {@code filters} member of {@code audit query --json}. */
    ObjectNode json(AuditQuery q) {
        ObjectNode o = Json.object();
        ArrayNode t = o.putArray("types");
        (q.types().isEmpty() ? TYPES : TYPES.stream().filter(q.types()::contains).toList()).forEach(t::add);
        o.put("agent", q.agentId());
        o.put("since", q.from() == null ? null : q.from().toString());
        o.put("until", q.to() == null ? null : q.to().toString());
        o.put("verdict", q.verdict());
        o.put("rule", q.rule());
        o.put("destination", q.destination());
        return o;
    }

    private Set<String> typeSet() {
        if (types == null || types.isEmpty()) {
            return DECISIONS;
        }
        return types.contains("all") ? Set.of() : new TreeSet<>(types);
    }

    /**
     * A {@code --since}/{@code --until} value: an instant, or a duration back from "now".
     *
     * @param text the value as given, for messages
     * @param at   the instant, or null
     * @param ago  the duration, or null
     */
    record Time(String text, Instant at, Duration ago) {
        Instant resolve(Instant now) {
            return at != null ? at : now.minus(ago);
        }
    }

    /** An ISO-8601 instant or date ({@link Converters.InstantConverter}), or a duration ({@code 1h}) back from now. */
    static final class TimeConverter implements ITypeConverter<Time> {
        @Override
        public Time convert(String value) {
            try {
                return new Time(value, new Converters.InstantConverter().convert(value), null);
            } catch (TypeConversionException e) {
                // not an instant; try a duration
            }
            try {
                return new Time(value, null, new Converters.DurationConverter().convert(value));
            } catch (TypeConversionException e) {
                throw new TypeConversionException("'" + value + "' (expected: an ISO-8601 instant such as"
                        + " 2026-11-21T12:00:00Z, a date such as 2026-11-21 for midnight UTC, or a duration back from"
                        + " now such as 90s, 30m, 1h or 7d)");
            }
        }
    }

    /** {@code relay}, {@code intercept} or {@code deny}, case-insensitive. */
    static final class VerdictConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.toLowerCase(Locale.ROOT);
            if (!v.equals("relay") && !v.equals("intercept") && !v.equals("deny")) {
                throw new TypeConversionException("'" + value + "' (expected: relay, intercept or deny)");
            }
            return v;
        }
    }

    /** A record type or {@code all}, case-insensitive. */
    static final class TypeConverter implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            String v = value.toLowerCase(Locale.ROOT);
            if (!v.equals("all") && !TYPES.contains(v)) {
                throw new TypeConversionException("'" + value + "' (expected: " + String.join(", ", TYPES)
                        + " or all)");
            }
            return v;
        }
    }
}
