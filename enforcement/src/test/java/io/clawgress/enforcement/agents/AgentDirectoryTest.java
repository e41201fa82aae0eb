package io.clawgress.enforcement.agents;

import static io.clawgress.enforcement.agents.AgentFixture.T0;
import static io.clawgress.enforcement.agents.AgentFixture.agent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentDirectoryTest {

    private static final AgentRecord ON = agent("on");
    private static final AgentRecord OFF = agent("off").withStatus(AgentStatus.DISABLED, "leaked key", T0);

    @Test
    void looksUpWithoutThrowingOnAnyInput() {
        AgentDirectory d = AgentDirectory.of(3, List.of(ON, OFF));
        assertThat(d.generation()).isEqualTo(3);
        assertThat(d.lookup("on")).isEqualTo(ON);
        assertThat(d.lookup("off")).isEqualTo(OFF);
        assertThat(d.find("on")).contains(ON);
        for (String unknown : new String[] {null, "", "nobody", "on ", "../on", "x".repeat(10_000), "\u0000"}) {
            assertThat(d.lookup(unknown)).isNull();
            assertThat(d.isActive(unknown)).isFalse();
        }
        assertThat(d.isActive("on")).isTrue();
        assertThat(d.isActive("off")).as("disabled is denied").isFalse();
        assertThat(d.size()).isEqualTo(2);
        assertThat(d.records()).containsExactly(OFF, ON);
    }

    @Test
    void isImmutable() {
        Map<String, AgentRecord> map = new HashMap<>(Map.of("on", ON));
        AgentDirectory d = new AgentDirectory(1, map);
        map.put("off", OFF);
        assertThat(d.size()).isEqualTo(1);
        assertThatThrownBy(() -> d.agents().put("off", OFF)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void validates() {
        assertThatThrownBy(() -> new AgentDirectory(1, Map.of("x", ON)))
                .hasMessage("agents: key 'x' maps to agent 'on' (expected: the agent's own id)");
        assertThatThrownBy(() -> AgentDirectory.of(1, List.of(ON, ON)))
                .hasMessage("records: agent 'on' twice (expected: one record per agent id)");
        assertThatThrownBy(() -> new AgentDirectory(-1, Map.of()))
                .hasMessage("generation: -1 (expected: >= 0)");
        assertThat(AgentDirectory.EMPTY.size()).isZero();
        assertThat(AgentDirectory.EMPTY.generation()).isZero();
    }

    @Test
    void deactivatedSinceNamesAgentsWhoseConnectionsMustClose() {
        AgentRecord a = agent("a");
        AgentRecord b = agent("b");
        AgentRecord c = agent("c");
        AgentRecord d = agent("d").withStatus(AgentStatus.DISABLED, null, T0);
        AgentDirectory before = AgentDirectory.of(1, List.of(a, b, c, d));
        AgentDirectory after = AgentDirectory.of(2, List.of(a, b.withStatus(AgentStatus.DISABLED, "x", T0),
                d.withStatus(AgentStatus.ACTIVE, null, T0)));
        assertThat(after.deactivatedSince(before)).containsExactly("b", "c");
        assertThat(before.deactivatedSince(after)).containsExactly("d");
        assertThat(after.deactivatedSince(after)).isEmpty();
        assertThat(after.deactivatedSince(AgentDirectory.EMPTY)).isEmpty();
    }
}
