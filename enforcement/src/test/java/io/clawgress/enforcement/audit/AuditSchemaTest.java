package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.AuthMethod;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.RequestRecord;
import io.clawgress.api.Termination;
import io.clawgress.testing.JsonSchemaValidator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static io.clawgress.enforcement.audit.AuditFixture.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kind of record the writer produces validates against docs/audit-record.schema.json, and records the schema
 * does not describe are refused ({@link JsonSchemaValidator}, which refuses schema keywords it does not implement).
 */
class AuditSchemaTest {

    private static JsonSchemaValidator schema;

    @TempDir
    Path dir;

    @BeforeAll
    static void loadSchema() throws Exception {
        schema = JsonSchemaValidator.load(Path.of("..", "docs", "audit-record.schema.json"));
        assertThat(schema.schema().get("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
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
        log.admin(new AdminRecord(T0, 0, 0, 4242, "POST", "/v1/agents/a1/disable", "agent.disable", "a1", 200, null));
        log.admin(new AdminRecord(T0, -2, 1001, 0, "POST", "/v1/bundles", "bundle.push", null, 403,
                "uid 4294967294 is not in group clawgress-admin"));
        log.admin(new AdminRecord(T0, 1000, 1000, 77, "POST", "/v1/flows/\u001b[2J" + "x".repeat(3000) + "/kill",
                "flows.kill", "\u202e" + "f".repeat(1000), 404, "no open flow '" + "f".repeat(1000) + "'"));
        log.admin(new AdminRecord(T0, 0, 0, 1, "POST", "/v1/reload", "reload", null, 500, "java.io.IOException: x"));
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();

        List<ObjectNode> records = new ArrayList<>();
        lines(dir).forEach(l -> records.add(l.record()));
        AuditRecords sealer = new AuditRecords();
        records.add(sealed(sealer, AuditRecords.gap(5, AuditFields.GAP_QUEUE_FULL, null, T0)));
        records.add(sealed(sealer, AuditRecords.gap(1, AuditFields.GAP_WRITE_FAILED, "java.io.IOException: x", T0)));
        records.add(sealed(sealer, AuditRecords.retention(41, 3, 12288, AuditFields.RETENTION_MAX_AGE, T0)));

        assertThat(records).extracting(r -> r.get("type").asText())
                .contains("flow", "request", "admin", "checkpoint", "gap", "retention");
        assertThat(records).filteredOn(r -> r.get("type").asText().equals("admin")).extracting(r ->
                r.get("outcome").asText()).containsExactly("ok", "forbidden", "refused", "failed");
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

    @Test
    void adminRecordsTheSchemaDoesNotDescribeAreRefused() throws Exception {
        ObjectNode admin = sealed(new AuditRecords(), AuditRecords.admin(new AdminRecord(T0, 1001, 1001, 9, "POST",
                "/v1/agents/a1/disable", "agent.disable", "a1", 403, "not in clawgress-admin")));
        assertThat(errors(admin)).isEmpty();
        for (String required : List.of("uid", "gid", "pid", "method", "path", "action", "outcome", "status")) {
            ObjectNode without = admin.deepCopy();
            without.remove(required);
            assertThat(errors(without)).as(required).isNotEmpty();
        }
        ObjectNode optional = admin.deepCopy();
        optional.remove(List.of("target", "detail"));
        assertThat(errors(optional)).isEmpty();
        assertThat(errors(admin.deepCopy().put("uid", 4294967295L))).isNotEmpty();
        assertThat(errors(admin.deepCopy().put("uid", -1))).isNotEmpty();
        assertThat(errors(admin.deepCopy().put("uid", 4294967294L))).isEmpty();
        assertThat(errors(admin.deepCopy().put("pid", -1))).isNotEmpty();
        assertThat(errors(admin.deepCopy().put("method", "PO ST"))).isNotEmpty();
        assertThat(errors(admin.deepCopy().put("action", "Agent.Disable"))).isNotEmpty();
        assertThat(errors(admin.deepCopy().put("action", "agent..disable"))).isNotEmpty();
        assertThat(errors(admin.deepCopy().put("outcome", "denied"))).isNotEmpty();
        assertThat(errors(admin.deepCopy().put("status", 600))).isNotEmpty();
        assertThat(errors(admin.deepCopy().put("target", ""))).isNotEmpty();
        assertThat(errors(admin.deepCopy().put("detail", "d".repeat(513)))).isNotEmpty();
        assertThat(errors(admin.deepCopy().put("path", "/" + "p".repeat(1024)))).isNotEmpty();
        assertThat(errors(admin.deepCopy().put("verdict", "deny"))).isNotEmpty();
        assertThat(errors(admin.deepCopy().put("uid", "0"))).isNotEmpty();
    }

    /**
     * The example lines in docs/audit.md are records as the writer writes them: valid, canonical, hashed right, and
     * one chain from seq 1.
     */
    @Test
    void theExamplesInTheDocsValidateAndHashToTheirHash() throws Exception {
        List<String> examples = Files.readAllLines(Path.of("..", "docs", "audit.md")).stream()
                .filter(l -> l.startsWith("{\"")).toList();
        assertThat(examples).extracting(l -> JSON.readTree(l).get("type").asText())
                .containsExactlyInAnyOrder("flow", "request", "admin", "gap", "checkpoint");
        String prev = AuditFields.ZERO_HASH;
        for (String line : examples) {
            ObjectNode r = (ObjectNode) JSON.readTree(line);
            assertThat(errors(r)).as(line).isEmpty();
            assertThat(r.get("prev_hash").asText()).as(line).isEqualTo(prev);
            prev = r.get("hash").asText();
            assertThat(new String(CanonicalJson.bytes(r), StandardCharsets.UTF_8)).isEqualTo(line);
            ObjectNode body = r.deepCopy();
            body.remove("hash");
            assertThat(AuditVerifier.sha256Hex(CanonicalJson.bytes(body))).as(line).isEqualTo(r.get("hash").asText());
        }
    }

    /** The bounds AdminRecord enforces are the ones the schema documents. */
    @Test
    void adminBoundsInTheSchemaAreTheRecords() {
        JsonNode props = schema.schema().get("$defs").get("admin").get("properties");
        assertThat(props.get("method").get("maxLength").asInt()).isEqualTo(AdminRecord.MAX_METHOD_CHARS);
        assertThat(props.get("path").get("maxLength").asInt()).isEqualTo(AdminRecord.MAX_PATH_CHARS);
        assertThat(props.get("action").get("maxLength").asInt()).isEqualTo(AdminRecord.MAX_ACTION_CHARS);
        assertThat(props.get("target").get("maxLength").asInt()).isEqualTo(AdminRecord.MAX_TARGET_CHARS);
        assertThat(props.get("detail").get("maxLength").asInt()).isEqualTo(AdminRecord.MAX_DETAIL_CHARS);
        List<String> outcomes = new ArrayList<>();
        props.get("outcome").get("enum").forEach(n -> outcomes.add(n.asText()));
        assertThat(outcomes).containsExactly(Arrays.stream(AdminRecord.Outcome.values())
                .map(AdminRecord.Outcome::code).toArray(String[]::new));
    }

    private static ObjectNode sealed(AuditRecords sealer, ObjectNode body) throws Exception {
        return (ObjectNode) JSON.readTree(sealer.seal(body, 9, AuditFields.ZERO_HASH).line());
    }

    private static List<JsonSchemaValidator.Error> errors(JsonNode instance) {
        return schema.validate(instance);
    }
}
