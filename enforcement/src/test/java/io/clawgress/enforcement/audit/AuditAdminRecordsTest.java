package io.clawgress.enforcement.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import static io.clawgress.enforcement.audit.AuditFixture.*;
import static io.clawgress.enforcement.audit.AuditVerifier.Code.CHAIN_BROKEN;
import static io.clawgress.enforcement.audit.AuditVerifier.Code.HASH_MISMATCH;
import static org.assertj.core.api.Assertions.assertThat;

/** Admin records ({@link AuditLog#admin}) in the chain: written, chained, verified, read, and their loss announced. */
class AuditAdminRecordsTest {

    private static final AuditKey KEY = AuditKey.generate();

    @TempDir
    Path dir;

    private final MutableClock clock = new MutableClock();

    static AdminRecord disable(String agent, int uid, int status) {
        return new AdminRecord(T0, uid, uid, 4242, "POST", "/v1/agents/" + agent + "/disable", "agent.disable",
                agent, status, status == 403 ? "uid " + uid + " is not in group clawgress-admin" : null);
    }

    static AdminRecord kill(String flowId, int status) {
        return new AdminRecord(T0, 0, 0, 77, "POST", "/v1/flows/" + flowId + "/kill", "flows.kill", flowId, status,
                status == 404 ? "no open flow '" + flowId + "'" : null);
    }

    static AdminRecord reload(int status) {
        return new AdminRecord(T0, 0, 0, 1, "POST", "/v1/reload", "reload", null, status,
                status >= 500 ? "trusted keys: /etc/clawgress/keys: permission denied" : null);
    }

    @Test
    void adminRecordsAreChainedBetweenDecisionRecordsAndVerify() throws Exception {
        AuditLog log = open(settings(dir).withCheckpoint(4, Duration.ofHours(1)), KEY, clock);
        log.record(flow("f-1"));
        log.admin(disable("agent-a", 1001, 403));
        log.admin(disable("agent-a", 0, 200));
        log.request(request("f-1", 1));
        log.admin(kill("f-1", 404));
        log.admin(reload(500));
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();

        List<Line> lines = lines(dir);
        assertThat(lines).extracting(Line::type).containsExactly("flow", "admin", "admin", "request", "checkpoint",
                "admin", "admin", "checkpoint");
        for (int i = 0; i < lines.size(); i++) {
            Line l = lines.get(i);
            assertThat(l.seq()).isEqualTo(i + 1);
            assertThat(l.text()).isEqualTo(new String(CanonicalJson.bytes(l.record()), StandardCharsets.UTF_8));
            ObjectNode body = l.record().deepCopy();
            body.remove("hash");
            assertThat(l.record().get("hash").asText()).isEqualTo(AuditVerifier.sha256Hex(CanonicalJson.bytes(body)));
            if (i > 0) {
                assertThat(l.record().get("prev_hash").asText())
                        .isEqualTo(lines.get(i - 1).record().get("hash").asText());
            }
        }
        Line forbidden = lines.get(1);
        assertThat(forbidden.text()).isEqualTo("{\"action\":\"agent.disable\",\"detail\":\"uid 1001 is not in group"
                + " clawgress-admin\",\"gid\":1001,\"hash\":\"" + forbidden.record().get("hash").asText() + "\","
                + "\"method\":\"POST\",\"outcome\":\"forbidden\",\"path\":\"/v1/agents/agent-a/disable\",\"pid\":4242,"
                + "\"prev_hash\":\"" + lines.get(0).record().get("hash").asText() + "\",\"seq\":2,\"status\":403,"
                + "\"target\":\"agent-a\",\"time\":\"2026-11-21T12:00:00Z\",\"type\":\"admin\",\"uid\":1001}");
        assertThat(lines.get(6).record().get("outcome").asText()).isEqualTo("failed");
        assertThat(lines.get(6).record().has("target")).isFalse();

        assertThat(log.written()).isEqualTo(6);
        assertThat(log.adminWritten()).isEqualTo(4);
        AuditVerifier.Result r = verify(dir, KEY);
        assertThat(r.outcome()).isEqualTo(AuditVerifier.Outcome.OK);
        assertThat(r.records()).isEqualTo(8);
        assertThat(r.checkpoints()).isEqualTo(2);
        assertThat(r.types()).containsExactly(Map.entry("admin", 4L), Map.entry("checkpoint", 2L),
                Map.entry("flow", 1L), Map.entry("request", 1L));
    }

    @Test
    void anEditedAdminRecordIsAHashMismatchAndAReHashedOneBreaksTheChain() throws Exception {
        AuditLog log = open(settings(dir), KEY, clock);
        log.admin(disable("agent-a", 1001, 403));
        log.admin(disable("agent-a", 0, 200));
        log.record(flow("f-1"));
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
        Path segment = Segments.list(dir).getFirst().path();
        List<String> original = readLines(segment);

        // Someone makes the refused attempt look like root's, or hides who did it.
        List<String> edited = readLines(segment);
        edited.set(0, edited.get(0).replace("\"uid\":1001", "\"uid\":0"));
        writeLines(segment, edited);
        AuditVerifier.Result byteEdit = verify(dir, KEY);
        assertThat(byteEdit.outcome()).isEqualTo(AuditVerifier.Outcome.BROKEN);
        assertThat(byteEdit.finding().code()).isEqualTo(HASH_MISMATCH);
        assertThat(byteEdit.finding().seq()).isEqualTo(1);

        // Re-hashed by someone who knows the format: the next record no longer names it.
        ObjectNode rewritten = (ObjectNode) JSON.readTree(original.get(1));
        rewritten.put("outcome", "ok").put("uid", 1001);
        List<String> resealed = readLines(segment);
        resealed.set(0, original.get(0));
        resealed.set(1, reseal(rewritten));
        writeLines(segment, resealed);
        AuditVerifier.Result rehashed = verify(dir, KEY);
        assertThat(rehashed.finding().code()).isEqualTo(CHAIN_BROKEN);
        assertThat(rehashed.finding().seq()).isEqualTo(3);

        // Deleted: the record after it names a hash that is gone.
        List<String> deleted = readLines(segment);
        deleted.set(1, original.get(1));
        deleted.remove(0);
        writeLines(segment, deleted);
        AuditVerifier.Result removed = verify(dir, KEY);
        assertThat(removed.finding().code()).isEqualTo(CHAIN_BROKEN);
        assertThat(removed.finding().line()).isEqualTo(1);

        writeLines(segment, original);
        assertThat(verify(dir, KEY).outcome()).isEqualTo(AuditVerifier.Outcome.OK);
    }

    @Test
    void droppedAdminRecordsAreCountedAndAnnouncedLikeAnyOther() throws Exception {
        FlakyStore store = new FlakyStore();
        store.stall = new CountDownLatch(1);
        AuditLog log = AuditLog.open(settings(dir).withQueueCapacity(4), KEY, clock, store, TICK_MILLIS);
        log.record(flow("f-0"));
        store.stalled.await(); // the writer holds f-0 and is stuck in write()
        for (int i = 1; i <= 4; i++) {
            log.admin(kill("f-" + i, 200));
        }
        log.admin(kill("lost-1", 200)); // the queue is full: dropped, never thrown, never waited for
        log.admin(kill("lost-2", 200));
        assertThat(log.dropped()).isEqualTo(2);
        store.stall.countDown();
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
        log.admin(reload(200)); // after close: dropped and counted
        assertThat(log.dropped()).isEqualTo(3);

        List<Line> lines = lines(dir);
        assertThat(ofType(lines, "admin")).extracting(l -> l.record().get("target").asText())
                .containsExactly("f-1", "f-2", "f-3", "f-4");
        List<Line> gaps = ofType(lines, "gap");
        assertThat(gaps).hasSize(1);
        assertThat(gaps.getFirst().record().get("dropped").asLong()).isEqualTo(2);
        assertThat(gaps.getFirst().record().get("reason").asText()).isEqualTo("queue_full");
        assertThat(log.adminWritten()).isEqualTo(4);
        assertThat(verify(dir, KEY).outcome()).isEqualTo(AuditVerifier.Outcome.OK);
    }

    @Test
    void aNullAdminRecordIsIgnoredNotThrown() throws Exception {
        AuditLog log = open(settings(dir), KEY, clock);
        log.admin(null);
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
        assertThat(log.written()).isZero();
        assertThat(log.dropped()).isZero();
    }

    @Test
    void theReaderFindsAdminRecordsByTypeAndAgentAndOtherFiltersPassOverThem() throws Exception {
        AuditLog log = open(settings(dir), KEY, clock);
        log.record(flow("f-1", "agent-a", "deny", "default", new InetSocketAddress("198.18.2.2", 443)));
        log.admin(disable("agent-a", 0, 200));
        log.admin(disable("agent-b", 0, 200));
        log.admin(kill("agent-a", 404)); // a flow id that looks like an agent id: not about agent-a
        log.admin(reload(200));
        assertThat(log.close(Duration.ofSeconds(10))).isTrue();
        AuditReader reader = new AuditReader(dir);

        assertThat(read(reader, AuditQuery.ALL.withTypes(Set.of("admin"))))
                .containsExactly("agent.disable:agent-a", "agent.disable:agent-b", "flows.kill:agent-a", "reload:");
        assertThat(read(reader, AuditQuery.ALL.withTypes(Set.of("admin", "flow")).withAgent("agent-a")))
                .containsExactly("flow:", "agent.disable:agent-a");
        assertThat(read(reader, AuditQuery.DECISIONS)).containsExactly("flow:");
        // Filters on decision fields never match an admin record (and never fail on one).
        assertThat(read(reader, AuditQuery.ALL.withVerdict("deny"))).containsExactly("flow:");
        assertThat(read(reader, AuditQuery.ALL.withRule("default"))).containsExactly("flow:");
        assertThat(read(reader, AuditQuery.ALL.withDestination("198.18.2.2"))).containsExactly("flow:");
        assertThat(read(reader, AuditQuery.ALL.withTypes(Set.of("admin"))
                .withTimeRange(T0, T0.plusSeconds(1)))).hasSize(4);
        assertThat(reader.tail(1, AuditQuery.ALL.withTypes(Set.of("admin"))))
                .extracting(e -> e.record().get("action").asText()).containsExactly("reload");
        assertThat(reader.skippedLines()).isZero();
    }

    private static List<String> read(AuditReader reader, AuditQuery q) throws Exception {
        try (Stream<AuditEntry> s = reader.read(q)) {
            return s.map(e -> {
                JsonNode r = e.record();
                return e.type().equals("admin") ? r.get("action").asText() + ":" + r.path("target").asText()
                        : e.type() + ":";
            }).toList();
        }
    }
}
