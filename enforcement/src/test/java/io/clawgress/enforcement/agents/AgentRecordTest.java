package io.clawgress.enforcement.agents;

import static io.clawgress.enforcement.agents.AgentFixture.T0;
import static io.clawgress.enforcement.agents.AgentFixture.agent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AgentRecordTest {

    static Stream<String> validIds() {
        return Stream.of("a", "research-bot", "Bot_7.prod", "spiffe:agent:x", "0", "x".repeat(128));
    }

    static Stream<String> invalidIds() {
        return Stream.of("", "-bot", ".bot", "_bot", "bot bot", "bot/1", "bøt", "bot\n", "x".repeat(129));
    }

    @ParameterizedTest
    @MethodSource("validIds")
    void acceptsPolicyLanguageIds(String id) {
        assertThat(AgentIds.isValid(id)).isTrue();
        assertThat(agent(id).agentId()).isEqualTo(id);
        assertThat(new Identity(id, null, null, null, null, AuthMethod.SUBNET, true).agentId()).isEqualTo(id);
    }

    @ParameterizedTest
    @MethodSource("invalidIds")
    void refusesOtherIds(String id) {
        assertThat(AgentIds.isValid(id)).isFalse();
        assertThatThrownBy(() -> agent(id)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("agentId: '")
                .hasMessageEndingWith("(expected: 1-128 characters of A-Z a-z 0-9 . _ : -, starting with a letter or"
                        + " digit)");
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of(new Object[] {null, "r", "p", "e", null, null},
                        "agentId: null (expected: an id, 1-128 characters of A-Z a-z 0-9 . _ : -, starting with a"
                                + " letter or digit)"),
                Arguments.of(new Object[] {"a", "re search", "p", "e", null, null},
                        "teamId: 're search' (expected: 1-128 characters of A-Z a-z 0-9 . _ : -, starting with a"
                                + " letter or digit)"),
                Arguments.of(new Object[] {"a", "r", "", "e", null, null},
                        "projectId: '' (expected: 1-128 characters of A-Z a-z 0-9 . _ : -, starting with a letter"
                                + " or digit)"),
                Arguments.of(new Object[] {"a", "r", "p", "dev\u001b[2J", null, null},
                        "environment: 'dev\\u001b[2J' (expected: 1-128 characters of A-Z a-z 0-9 . _ : -, starting"
                                + " with a letter or digit)"),
                Arguments.of(new Object[] {"a", "r", "p", "e", "*", null},
                        "trustTier: '*' (expected: 1-128 characters of A-Z a-z 0-9 . _ : -, starting with a letter"
                                + " or digit)"),
                Arguments.of(new Object[] {"a", null, null, null, null, "  "},
                        "note: 2 chars, blank (expected: non-blank text, <= 1024 chars)"),
                Arguments.of(new Object[] {"a", null, null, null, null, "n".repeat(1025)},
                        "note: 1025 chars (expected: non-blank text, <= 1024 chars)"),
                Arguments.of(new Object[] {"a", null, null, null, null, "two\nlines"},
                        "note: U+000A at index 3 (expected: one line of printable text, no control characters)"),
                Arguments.of(new Object[] {"a", null, null, null, null, "bell\u0007"},
                        "note: U+0007 at index 4 (expected: one line of printable text, no control characters)"),
                Arguments.of(new Object[] {"a", null, null, null, null, "csi\u009b"},
                        "note: U+009B at index 3 (expected: one line of printable text, no control characters)"),
                Arguments.of(new Object[] {"a", null, null, null, null, "half \ud83d"},
                        "note: U+D83D at index 5 (expected: one line of printable text, no control characters)"));
    }

    @ParameterizedTest
    @MethodSource("invalid")
    void validatesEveryField(Object[] f, String message) {
        assertThatThrownBy(() -> AgentRecord.newAgent((String) f[0], (String) f[1], (String) f[2], (String) f[3],
                (String) f[4], (String) f[5], T0)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @Test
    void textAllowsUnicodeButNotControlCharacters() {
        String note = "Zoë's bot 🤖 — owned by «research»";
        assertThat(AgentRecord.newAgent("a", null, null, null, null, note, T0).note()).isEqualTo(note);
        assertThatThrownBy(() -> AgentRecord.newAgent("a", null, null, null, null, "tab\there", T0))
                .hasMessage("note: U+0009 at index 3 (expected: one line of printable text, no control characters)");
    }

    @Test
    void updatedAtNotBeforeCreatedAt() {
        assertThatThrownBy(() -> new AgentRecord("a", null, null, null, null, AgentStatus.ACTIVE, null, null, T0,
                T0.minusNanos(1)))
                .hasMessage("updatedAt: 2026-11-21T11:59:59.999999999Z (expected: not before createdAt"
                        + " 2026-11-21T12:00:00Z)");
        assertThatThrownBy(() -> new AgentRecord("a", null, null, null, null, null, null, null, T0, T0))
                .isInstanceOf(NullPointerException.class).hasMessage("status");
    }

    @Test
    void withStatusNeverGoesBackInTime() {
        AgentRecord a = agent("bot");
        AgentRecord disabled = a.withStatus(AgentStatus.DISABLED, "leaked key", T0.plusSeconds(5));
        assertThat(disabled.status()).isEqualTo(AgentStatus.DISABLED);
        assertThat(disabled.statusReason()).isEqualTo("leaked key");
        assertThat(disabled.updatedAt()).isEqualTo(T0.plusSeconds(5));
        assertThat(disabled.createdAt()).isEqualTo(T0);
        assertThat(disabled.active()).isFalse();

        AgentRecord enabledEarlier = disabled.withStatus(AgentStatus.ACTIVE, null, T0.minusSeconds(3600));
        assertThat(enabledEarlier.updatedAt()).isEqualTo(T0.plusSeconds(5));
        assertThat(enabledEarlier.statusReason()).isNull();
        assertThat(enabledEarlier.active()).isTrue();
    }

    @Test
    void identityCarriesTheCanonicalFields() {
        AgentRecord a = AgentFixture.full("bot-1");
        assertThat(a.identity(AuthMethod.MTLS))
                .isEqualTo(new Identity("bot-1", "research", "crawler", "prod", "gold", AuthMethod.MTLS, false));
        assertThat(agent("bot-2").identity(AuthMethod.JWT).active()).isTrue();
    }

    @Test
    void statusCodes() {
        assertThat(AgentStatus.ACTIVE.code()).isEqualTo("active");
        assertThat(AgentStatus.DISABLED.code()).isEqualTo("disabled");
        assertThat(AgentStatus.ofCode("disabled")).contains(AgentStatus.DISABLED);
        assertThat(AgentStatus.ofCode("DISABLED")).isEmpty();
    }
}
