package io.clawgress.enforcement.policy.scenario;

import io.clawgress.enforcement.policy.Explanation;
import io.clawgress.enforcement.policy.Policy;
import io.clawgress.enforcement.policy.PolicyExplainer;
import io.clawgress.enforcement.policy.PolicySnapshot;
import io.clawgress.enforcement.policy.Rule;
import io.clawgress.enforcement.yaml.YamlNodeReader;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Runs scenarios against a compiled snapshot: each is decided by the evaluator and explained. */
public final class ScenarioRunner {

    private ScenarioRunner() {
    }

    public static List<ScenarioResult> run(PolicySnapshot snapshot, List<Scenario> scenarios) {
        Set<String> policyIds = new LinkedHashSet<>();
        Set<String> ruleIds = new LinkedHashSet<>(Rule.RESERVED_IDS);
        for (Policy p : snapshot.policySet().policies()) {
            policyIds.add(p.id());
            p.rules().forEach(r -> ruleIds.add(r.id()));
        }
        List<ScenarioResult> results = new ArrayList<>();
        for (Scenario s : scenarios) {
            Explanation e = PolicyExplainer.explain(snapshot, s.facts(), s.identity());
            List<Mismatch> mismatches = new ArrayList<>();
            for (Mismatch m : s.expect().check(e.decision())) {
                mismatches.add(withNote(m, policyIds, ruleIds));
            }
            results.add(new ScenarioResult(s, e, mismatches));
        }
        return results;
    }

    /** A typo in an expected id shows as such, rather than only as a wrong decision. */
    private static Mismatch withNote(Mismatch m, Set<String> policyIds, Set<String> ruleIds) {
        Set<String> known = switch (m.field()) {
            case "policy" -> policyIds;
            case "rule" -> ruleIds;
            default -> null;
        };
        if (known == null || known.contains(m.expected())) {
            return m;
        }
        String suggestion = YamlNodeReader.suggestion(m.expected(), List.copyOf(known));
        return new Mismatch(m.field(), m.expected(), m.actual(), "no " + m.field() + " '" + m.expected()
                + "' in this policy set" + suggestion);
    }
}
