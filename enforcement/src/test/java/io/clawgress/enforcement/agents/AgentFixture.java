package io.clawgress.enforcement.agents;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** Agents at fixed instants. */
final class AgentFixture {

    static final Instant T0 = Instant.parse("2026-11-21T12:00:00Z");
    static final Clock CLOCK = Clock.fixed(T0.plusSeconds(60), ZoneOffset.UTC);

    private AgentFixture() {
    }

    static AgentRecord agent(String id) {
        return AgentRecord.newAgent(id, "research", "crawler", "dev", null, null, T0);
    }

    static AgentRecord full(String id) {
        return new AgentRecord(id, "research", "crawler", "prod", "gold", AgentStatus.DISABLED, "leaked key ☠",
                "nightly crawler — owned by Zoë", T0, T0.plusNanos(123_456_789));
    }
}
