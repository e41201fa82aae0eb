package io.clawgress.enforcement.agents;

import static io.clawgress.enforcement.agents.AgentFixture.agent;
import static io.clawgress.enforcement.agents.AgentFixture.full;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clawgress.enforcement.agents.AgentRegistryException.Reason;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AgentCodecTest {

    @Test
    void roundTripsEveryField() throws Exception {
        for (AgentRecord a : new AgentRecord[] {agent("bot"), full("bot-2")}) {
            assertThat(AgentCodec.decode(a.agentId(), AgentCodec.encode(a))).isEqualTo(a);
        }
    }

    @Test
    void layoutIsStable() {
        byte[] b = AgentCodec.encode(agent("bot"));
        ByteBuffer buf = ByteBuffer.wrap(b);
        assertThat(buf.get()).as("format").isEqualTo((byte) 1);
        assertThat(buf.get()).as("status active").isEqualTo((byte) 0);
        assertThat(buf.getLong()).isEqualTo(AgentFixture.T0.getEpochSecond());
        assertThat(buf.getInt()).isZero();
        assertThat(buf.getLong()).isEqualTo(AgentFixture.T0.getEpochSecond());
        assertThat(buf.getInt()).isZero();
        assertThat(buf.getInt()).isEqualTo(8); // "research"
        assertThat(b).hasSize(1 + 1 + 24 + 4 + 8 + 4 + 7 + 4 + 3 + 3 * 4);
    }

    @Test
    void keysAreAsciiIds() throws Exception {
        assertThat(AgentCodec.key("bot-1")).isEqualTo("bot-1".getBytes(StandardCharsets.US_ASCII));
        assertThat(AgentCodec.decodeKey("bot-1".getBytes(StandardCharsets.US_ASCII))).isEqualTo("bot-1");
        assertThatThrownBy(() -> AgentCodec.decodeKey("bøt".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(AgentRegistryException.class, e -> assertThat(e.reason()).isEqualTo(
                        Reason.CORRUPT))
                .hasMessageStartingWith("corrupt: agent key 'b")
                .hasMessageEndingWith("not an agent id (expected: 1-128 characters of A-Z a-z 0-9 . _ : -, starting"
                        + " with a letter or digit)");
    }

    @Test
    void decodingIsStrict() {
        byte[] good = AgentCodec.encode(full("bot"));
        assertCorrupt(new byte[0], "agent 'bot': format: truncated, 0 bytes left (expected: 1)");
        assertCorrupt(with(good, 0, (byte) 2), "agent 'bot': format 2 (expected: 1)");
        assertCorrupt(with(good, 1, (byte) 7), "agent 'bot': status 7 (expected: 0 active or 1 disabled)");
        assertCorrupt(Arrays.copyOf(good, 12), "agent 'bot': createdAt: truncated, 10 bytes left (expected: 12)");
        assertCorrupt(Arrays.copyOf(good, good.length + 1), "agent 'bot': 1 trailing bytes (expected: none)");
        assertCorrupt(Arrays.copyOf(good, good.length - 1),
                "agent 'bot': note: length 33 with 32 bytes left (expected: >= 0 and <= bytes left, or -1 for null)");
        byte[] badNanos = good.clone();
        ByteBuffer.wrap(badNanos).putInt(1 + 1 + 8, 1_000_000_000);
        assertCorrupt(badNanos, "agent 'bot': createdAt: nanos 1000000000 (expected: an instant)");
        byte[] badTeam = good.clone();
        badTeam[1 + 1 + 24 + 4] = ' '; // "research" -> " esearch"
        assertCorrupt(badTeam, "agent 'bot': teamId: ' esearch' (expected: 1-128 characters of A-Z a-z 0-9 . _ : -,"
                + " starting with a letter or digit)");
        byte[] badUtf8 = good.clone();
        badUtf8[1 + 1 + 24 + 4] = (byte) 0xff;
        assertThatThrownBy(() -> AgentCodec.decode("bot", badUtf8)).hasMessageStartingWith(
                "corrupt: agent 'bot': teamId: not UTF-8");
    }

    private static byte[] with(byte[] b, int index, byte value) {
        byte[] copy = b.clone();
        copy[index] = value;
        return copy;
    }

    private static void assertCorrupt(byte[] value, String message) {
        assertThatThrownBy(() -> AgentCodec.decode("bot", value))
                .isInstanceOfSatisfying(AgentRegistryException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.CORRUPT))
                .hasMessage("corrupt: " + message);
    }
}
