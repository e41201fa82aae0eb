package io.clawgress.enforcement.policy.scenario;

import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.enforcement.policy.PolicyDecision;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a scenario expects of its decision. Only {@code verdict} is required; every other field left {@code null} is
 * not checked.
 *
 * @param verdict        {@code relay}, {@code intercept} or {@code deny} (the verdict's record name, not a rule's
 *                       action)
 * @param policyId       the deciding policy's id
 * @param ruleId         the deciding rule's id, or a built-in one ({@code default}, {@code unbound_source},
 *                       {@code agent_disabled}, {@code sni_missing})
 * @param termination    for a deny, how the flow ends ({@code policy_denied} or {@code sni_missing})
 * @param wouldDeny      whether a report-mode rule would have denied the flow
 * @param reasonContains text the decision's reason must contain
 */
public record Expectation(String verdict, String policyId, String ruleId, Termination termination, Boolean wouldDeny,
                          String reasonContains) {

    public static final String RELAY = "relay";
    public static final String INTERCEPT = "intercept";
    public static final String DENY = "deny";

    public Expectation {
        if (!RELAY.equals(verdict) && !INTERCEPT.equals(verdict) && !DENY.equals(verdict)) {
            throw new IllegalArgumentException("verdict: '" + verdict + "' (expected: relay, intercept or deny)");
        }
        if (termination != null && !DENY.equals(verdict)) {
            throw new IllegalArgumentException("termination with verdict " + verdict
                    + " (expected: termination only with verdict deny)");
        }
        if (Boolean.TRUE.equals(wouldDeny) && !RELAY.equals(verdict)) {
            throw new IllegalArgumentException("would_deny: true with verdict " + verdict
                    + " (expected: would_deny only on a relay: report mode relays what it would deny)");
        }
    }

    /** Every way {@code d} differs from this expectation, in the order of the fields; empty when it meets it. */
    public List<Mismatch> check(PolicyDecision d) {
        List<Mismatch> out = new ArrayList<>();
        compare(out, "verdict", verdict, d.verdict().name());
        if (policyId != null) {
            compare(out, "policy", policyId, d.policyId());
        }
        if (ruleId != null) {
            compare(out, "rule", ruleId, d.ruleId());
        }
        if (termination != null) {
            String actual = switch (d.verdict()) {
                case Verdict.Deny deny -> deny.termination().code();
                case Verdict.Relay relay -> null;
                case Verdict.Intercept intercept -> null;
            };
            compare(out, "termination", termination.code(), actual);
        }
        if (wouldDeny != null) {
            compare(out, "would_deny", wouldDeny.toString(), Boolean.toString(d.wouldDeny()));
        }
        if (reasonContains != null && !d.reason().contains(reasonContains)) {
            out.add(new Mismatch("reason_contains", "'" + reasonContains + "'", "'" + d.reason() + "'", null));
        }
        return out;
    }

    private static void compare(List<Mismatch> out, String field, String expected, String actual) {
        if (!Objects.equals(expected, actual)) {
            out.add(new Mismatch(field, expected, actual == null ? "none" : actual, null));
        }
    }
}
