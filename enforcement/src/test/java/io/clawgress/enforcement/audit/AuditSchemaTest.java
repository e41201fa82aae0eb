package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.AuthMethod;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.RequestRecord;
import io.clawgress.api.Termination;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import static io.clawgress.enforcement.audit.AuditFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kind of record the writer produces validates against docs/audit-record.schema.json, and records the schema
 * does not describe are refused. The validator below implements the keywords the schema uses ($ref, oneOf, type,
 * const, enum, pattern, minimum, maximum, required, properties, additionalProperties: false, items).
 */
class AuditSchemaTest {

    private static JsonNode schema;

    @TempDir
    Path dir;

    @BeforeAll
    static void loadSchema() throws Exception {
        schema = JSON.readTree(Path.of("..", "docs", "audit-record.schema.json").toFile());
        assertThat(schema.get("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
    }

    @Test
    void everyKindOfRecordTheWriterProducesValidates() throws Exception {
        AuditKey key = AuditKey.generate();
        MutableClock clock = new MutableClock();
        AuditLog log = open(settings(dir).withCheckpoint(3, Duration.ofHours(1)), key, clock);
        log.record(flow("tls"));
        log.record(new FlowRecord("http", T0, new InetSocketAddress("198.18.1.2", 1234),
                new InetSocketAddress("2001:db8::1", 80), Optional.empty(), "deny", "no rule", "default", "none", 7,
                0, Duration.ZERO, Termination.POLICY_DENIED, "connection reset", PeekFacts.http("a.test", "GET", "/"),
                null));
        log.record(new FlowRecord("opaque", T0, new InetSocketAddress("198.18.1.2", 1234),
                new InetSocketAddress("198.18.2.2", 22), Optional.of(new Identity("a", "t", "p", "prod", "gold",
                AuthMethod.MTLS, true)), "relay", "ok", "ssh", "r1", 1, 2, Duration.ofHours(5),
                Termination.COMPLETED, null, PeekFacts.opaque(), new InetSocketAddress("198.18.2.2", 22)));
        log.request(request("http", 1));
        log.request(new RequestRecord("x", 2, T0, Optional.of(new Identity("a", null, null, null, null,
                AuthMethod.JWT, true)), "POST", "b.test", "/v1", "relay", "allowed", "api", "7", 0, null)
                .ended(200, 321, 4567, Duration.ofMillis(12), io.clawgress.api.Termination.COMPLETED));
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();

        List<ObjectNode> records = new ArrayList<>();
        lines(dir).forEach(l -> records.add(l.record()));
        AuditRecords sealer = new AuditRecords();
        records.add(sealed(sealer, AuditRecords.gap(5, AuditFields.GAP_QUEUE_FULL, null, T0)));
        records.add(sealed(sealer, AuditRecords.gap(1, AuditFields.GAP_WRITE_FAILED, "java.io.IOException: x", T0)));
        records.add(sealed(sealer, AuditRecords.retention(41, 3, 12288, AuditFields.RETENTION_MAX_AGE, T0)));

        assertThat(records).extracting(r -> r.get("type").asText())
                .contains("flow", "request", "checkpoint", "gap", "retention");
        for (ObjectNode r : records) {
            assertThat(errors(r)).as(r.toString()).isEmpty();
        }
    }

    @Test
    void recordsTheSchemaDoesNotDescribeAreRefused() throws Exception {
        ObjectNode gap = sealed(new AuditRecords(), AuditRecords.gap(5, AuditFields.GAP_QUEUE_FULL, null, T0));
        assertThat(errors(gap)).isEmpty();
        assertThat(errors(gap.deepCopy().put("extra", 1))).isNotEmpty();
        ObjectNode noDropped = gap.deepCopy();
        noDropped.remove("dropped");
        assertThat(errors(noDropped)).isNotEmpty();
        assertThat(errors(gap.deepCopy().put("hash", "ABC"))).isNotEmpty();
        assertThat(errors(gap.deepCopy().put("reason", "bored"))).isNotEmpty();
        assertThat(errors(gap.deepCopy().put("seq", 0))).isNotEmpty();
        assertThat(errors(gap.deepCopy().put("type", "nonsense"))).isNotEmpty();
        assertThat(errors(gap.deepCopy().put("time", "yesterday"))).isNotEmpty();
    }

    private static ObjectNode sealed(AuditRecords sealer, ObjectNode body) throws Exception {
        return (ObjectNode) JSON.readTree(sealer.seal(body, 9, AuditFields.ZERO_HASH).line());
    }

    private static List<String> errors(JsonNode instance) {
        List<String> out = new ArrayList<>();
        validate(schema, instance, "$", out);
        return out;
    }

    private static void validate(JsonNode s, JsonNode v, String at, List<String> out) {
        if (s.has("$ref")) {
            String ref = s.get("$ref").asText();
            assertThat(ref).startsWith("#/$defs/");
            validate(schema.get("$defs").get(ref.substring("#/$defs/".length())), v, at, out);
        }
        if (s.has("oneOf")) {
            int passing = 0;
            for (JsonNode option : s.get("oneOf")) {
                List<String> e = new ArrayList<>();
                validate(option, v, at, e);
                passing += e.isEmpty() ? 1 : 0;
            }
            if (passing != 1) {
                out.add(at + ": matches " + passing + " of oneOf (expected: 1)");
            }
        }
        if (s.has("type") && !typeMatches(s.get("type").asText(), v)) {
            out.add(at + ": not of type " + s.get("type").asText());
            return;
        }
        if (s.has("const") && !s.get("const").equals(v)) {
            out.add(at + ": not " + s.get("const"));
        }
        if (s.has("enum")) {
            boolean any = false;
            for (JsonNode e : s.get("enum")) {
                any |= e.equals(v);
            }
            if (!any) {
                out.add(at + ": " + v + " not in " + s.get("enum"));
            }
        }
        if (s.has("pattern") && v.isTextual()
                && !Pattern.compile(s.get("pattern").asText()).matcher(v.asText()).find()) {
            out.add(at + ": " + v + " does not match " + s.get("pattern"));
        }
        if (s.has("minimum") && v.isNumber() && v.decimalValue().compareTo(s.get("minimum").decimalValue()) < 0) {
            out.add(at + ": below " + s.get("minimum"));
        }
        if (s.has("maximum") && v.isNumber() && v.decimalValue().compareTo(s.get("maximum").decimalValue()) > 0) {
            out.add(at + ": above " + s.get("maximum"));
        }
        if (v.isObject()) {
            if (s.has("required")) {
                for (JsonNode r : s.get("required")) {
                    if (!v.has(r.asText())) {
                        out.add(at + ": missing " + r.asText());
                    }
                }
            }
            JsonNode props = s.get("properties");
            for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (props != null && props.has(f.getKey())) {
                    validate(props.get(f.getKey()), f.getValue(), at + "." + f.getKey(), out);
                } else if (s.has("additionalProperties") && !s.get("additionalProperties").asBoolean()) {
                    out.add(at + ": unexpected " + f.getKey());
                }
            }
        }
        if (v.isArray() && s.has("items")) {
            for (int i = 0; i < v.size(); i++) {
                validate(s.get("items"), v.get(i), at + "[" + i + "]", out);
            }
        }
    }

    private static boolean typeMatches(String type, JsonNode v) {
        return switch (type) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber();
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            case "null" -> v.isNull();
            default -> throw new AssertionError("type " + type);
        };
    }
}
