package io.clawgress.enforcement.policy.scenario;

import io.clawgress.enforcement.policy.Explanation;

import java.util.List;
import java.util.Objects;

/**
 * How one scenario fared.
 *
 * @param explanation the decision and the ladder that led to it
 * @param mismatches  how the decision differs from the expectation; empty when the scenario passed
 */
public record ScenarioResult(Scenario scenario, Explanation explanation, List<Mismatch> mismatches) {

    public ScenarioResult {
        Objects.requireNonNull(scenario, "scenario");
        Objects.requireNonNull(explanation, "explanation");
        mismatches = List.copyOf(mismatches);
    }

    public boolean passed() {
        return mismatches.isEmpty();
    }
}
