package io.clawgress.enforcement.audit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AdminRecordTest {

    private static final Instant T = Instant.parse("2026-11-21T12:00:00Z");

    private static AdminRecord record(String path, String target, String detail) {
        return new AdminRecord(T, 0, 0, 1, "POST", path, "agent.disable", target, 200, detail);
    }

    @ParameterizedTest
    @CsvSource({"200,ok", "201,ok", "204,ok", "304,ok", "400,refused", "401,forbidden", "403,forbidden",
            "404,refused", "409,refused", "413,refused", "429,refused", "500,failed", "503,failed", "599,failed"})
    void theOutcomeFollowsTheStatus(int status, String outcome) {
        assertThat(AdminRecord.Outcome.forStatus(status).code()).isEqualTo(outcome);
        assertThat(new AdminRecord(T, 0, 0, 0, "POST", "/v1/reload", "reload", null, status, null).outcome().code())
                .isEqualTo(outcome);
    }

    @Test
    void anOutcomeThatContradictsTheStatusIsRefused() {
        assertThatThrownBy(() -> new AdminRecord(T, 0, 0, 0, "POST", "/v1/reload", "reload", null,
                AdminRecord.Outcome.OK, 403, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("outcome: ok with status 403 (expected: forbidden)");
        assertThatThrownBy(() -> new AdminRecord(T, 0, 0, 0, "POST", "/v1/reload", "reload", null, 99, null))
                .hasMessage("status: 99 (expected: an HTTP status, 100..599)");
        assertThatThrownBy(() -> AdminRecord.Outcome.forStatus(600))
                .hasMessage("status: 600 (expected: an HTTP status, 100..599)");
    }

    @Test
    void codesFromTheServerAreCheckedAndABadOneIsABug() {
        assertThatThrownBy(() -> new AdminRecord(T, 0, 0, 0, "PO ST", "/v1/x", "reload", null, 200, null))
                .hasMessageStartingWith("method: 'PO ST' (expected: an HTTP method, 1..32 token characters");
        assertThatThrownBy(() -> new AdminRecord(T, 0, 0, 0, "", "/v1/x", "reload", null, 200, null))
                .hasMessageStartingWith("method: '' (expected:");
        assertThatThrownBy(() -> new AdminRecord(T, 0, 0, 0, "P".repeat(33), "/v1/x", "reload", null, 200, null))
                .hasMessageContaining("1..32 token characters");
        assertThatThrownBy(() -> new AdminRecord(T, 0, 0, 0, "POST", "/v1/x", "Agent.Disable", null, 200, null))
                .hasMessageStartingWith("action: 'Agent.Disable' (expected: 1..64 characters of dot-separated"
                        + " snake_case words, such as agent.disable)");
        assertThatThrownBy(() -> new AdminRecord(T, 0, 0, 0, "POST", "/v1/x", "agent.", null, 200, null))
                .hasMessageStartingWith("action: 'agent.'");
        assertThatThrownBy(() -> new AdminRecord(T, 0, 0, 0, "POST", "/v1/x", "a\u001b", null, 200, null))
                .hasMessageStartingWith("action: 'a\\u001b'");
        assertThatThrownBy(() -> new AdminRecord(T, 0, 0, 0, "POST", "/v1/x", "a".repeat(65), null, 200, null))
                .hasMessageContaining("1..64 characters");
        assertThatThrownBy(() -> new AdminRecord(T, -1, 0, 0, "POST", "/v1/x", "reload", null, 200, null))
                .hasMessage("uid/gid: 4294967295/0 (expected: a real id; 4294967295 is (uid_t) -1, no id)");
        assertThatThrownBy(() -> new AdminRecord(T, 0, -1, 0, "POST", "/v1/x", "reload", null, 200, null))
                .hasMessageStartingWith("uid/gid: 0/4294967295");
        assertThatThrownBy(() -> new AdminRecord(T, 0, 0, -5, "POST", "/v1/x", "reload", null, 200, null))
                .hasMessage("pid: -5 (expected: >= 0, 0 when unknown)");
        assertThatThrownBy(() -> new AdminRecord(null, 0, 0, 0, "POST", "/v1/x", "reload", null, 200, null))
                .isInstanceOf(NullPointerException.class).hasMessage("time");
        assertThatThrownBy(() -> new AdminRecord(T, 0, 0, 0, "POST", null, "reload", null, 200, null))
                .isInstanceOf(NullPointerException.class).hasMessage("path");
        assertThatThrownBy(() -> new AdminRecord(T, 0, 0, 0, "POST", "", "reload", null, 200, null))
                .hasMessage("path: empty (expected: the API path, such as /v1/status)");
    }

    @Test
    void idsAboveTwoToThe31AreUnsigned() {
        AdminRecord r = new AdminRecord(T, -2, Integer.MIN_VALUE, 0, "GET", "/v1/x", "reload", null, 200, null);
        assertThat(r.uidUnsigned()).isEqualTo(4294967294L);
        assertThat(r.gidUnsigned()).isEqualTo(2147483648L);
        assertThat(AuditRecords.admin(r).get("uid").asLong()).isEqualTo(4294967294L);
    }

    @Test
    void textFromTheCallerIsMadeSafeNeverRefused() {
        AdminRecord r = record("/v1/agents/\u001b[2J\u202e/disable", "a\u0000b\u007f\u0085", "bad\ud800 \n");
        assertThat(r.path()).isEqualTo("/v1/agents/\\u001b[2J\\u202e/disable");
        assertThat(r.target()).isEqualTo("a\\u0000b\\u007f\\u0085");
        assertThat(r.detail()).isEqualTo("bad\\ud800 \\u000a");
        // Printable text, paired surrogates (an emoji) and backslashes stay as they are.
        AdminRecord ok = record("/v1/agents/caf\u00e9-\ud83d\ude00/disable", "C:\\x", "fine");
        assertThat(ok.path()).isEqualTo("/v1/agents/caf\u00e9-\ud83d\ude00/disable");
        assertThat(ok.target()).isEqualTo("C:\\x");
    }

    @Test
    void emptyTextIsAbsentAndLongTextIsCutToItsBound() {
        AdminRecord empty = record("/v1/x", "", "");
        assertThat(empty.target()).isNull();
        assertThat(empty.detail()).isNull();

        AdminRecord longOne = record("/" + "p".repeat(5000), "t".repeat(300), "d".repeat(600));
        assertThat(longOne.path()).hasSize(AdminRecord.MAX_PATH_CHARS).endsWith("p...");
        assertThat(longOne.target()).hasSize(AdminRecord.MAX_TARGET_CHARS).endsWith("t...");
        assertThat(longOne.detail()).hasSize(AdminRecord.MAX_DETAIL_CHARS).endsWith("d...");
        assertThat(record("/" + "p".repeat(AdminRecord.MAX_PATH_CHARS - 1), null, null).path())
                .hasSize(AdminRecord.MAX_PATH_CHARS).doesNotEndWith("...");
        // Escapes count: the bound holds for the text as written.
        assertThat(record("/v1", "\u0001".repeat(100), null).target()).hasSize(AdminRecord.MAX_TARGET_CHARS);
        // A cut never splits a surrogate pair.
        String emoji = "\ud83d\ude00";
        String cut = record("/v1", "x" + emoji.repeat(200), null).target();
        assertThat(cut).endsWith("...").hasSizeLessThanOrEqualTo(AdminRecord.MAX_TARGET_CHARS);
        String kept = cut.substring(0, cut.length() - 3);
        assertThat(Character.isHighSurrogate(kept.charAt(kept.length() - 1))).isFalse();
    }

    @Test
    void theJsonBodyHasTheAdminFields() {
        AdminRecord r = new AdminRecord(T, 1001, 1002, 4242, "POST", "/v1/flows/f-9/kill", "flows.kill", "f-9", 404,
                "no open flow 'f-9'");
        assertThat(AuditRecords.admin(r).toString()).isEqualTo("{\"type\":\"admin\",\"time\":\"2026-11-21T12:00:00Z\","
                + "\"uid\":1001,\"gid\":1002,\"pid\":4242,\"method\":\"POST\",\"path\":\"/v1/flows/f-9/kill\","
                + "\"action\":\"flows.kill\",\"target\":\"f-9\",\"outcome\":\"refused\",\"status\":404,"
                + "\"detail\":\"no open flow 'f-9'\"}");
        AdminRecord bare = new AdminRecord(T, 0, 0, 0, "POST", "/v1/reload", "reload", null, 200, null);
        assertThat(AuditRecords.admin(bare).has("target")).isFalse();
        assertThat(AuditRecords.admin(bare).has("detail")).isFalse();
    }
}
