package io.clawgress.benchmarks.load.systems;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * No system: the TPROXY rules are removed and the gateway namespace routes the agent's packets to the upstream
 * ({@code ip_forward=1}). The baseline every added latency is measured against. A second instance
 * ({@code direct-check}) measured in the same rounds proves the method: the two must agree.
 */
public record Direct(String name) implements SystemUnderTest {

    @Override
    public OptionalInt port(Mode mode) {
        return OptionalInt.empty();
    }

    @Override
    public List<Long> pids() {
        return List.of();
    }

    @Override
    public Map<String, String> describe() {
        return Map.of("what", "routed by the gateway namespace, no capture (TPROXY rules removed)");
    }

    @Override
    public void close() {
    }
}
