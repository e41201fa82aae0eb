package io.clawgress.enforcement.policy;

import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Verdict;
import io.clawgress.enforcement.net.Addresses;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Why a flow got its decision: how the agent was identified, which policies apply to it, every rule destination of
 * those policies in decision order with why it matched or not, and the decision itself. Built by
 * {@link PolicyExplainer}; the decision is the evaluator's own ({@link PolicySnapshot#decide}), and the ladder is
 * checked to pick the same rule.
 *
 * @param facts     the flow
 * @param identity  how the agent was identified
 * @param policies  every policy in priority order, with whether it applies to the agent; empty when the decision was
 *                  made before policies are consulted (unbound source, disabled agent)
 * @param rules     every (rule, destination) of the applying policies, in decision order
 * @param intercept the intercept rule that decided a TLS flow the agent's ladder did not (an unbound source, or no
 *                  candidate): it matches the SNI and port whatever its subjects and http; else {@code null}
 * @param decision  what {@link PolicySnapshot#decide} returned
 */
public record Explanation(FlowFacts facts, IdentityStep identity, List<PolicyStep> policies, List<RuleStep> rules,
                          InterceptStep intercept, PolicyDecision decision) {

    public Explanation {
        Objects.requireNonNull(facts, "facts");
        Objects.requireNonNull(identity, "identity");
        policies = List.copyOf(policies);
        rules = List.copyOf(rules);
        Objects.requireNonNull(decision, "decision");
    }

    /**
     * @param source   the flow's source address
     * @param binding  the subnet binding that contains the source, or {@code null}
     * @param identity the identity the decision used, or {@code null} (unbound source)
     * @param given    the identity was given by the caller (mTLS, JWT ...) rather than resolved from the binding
     */
    public record IdentityStep(InetAddress source, IdentityBinding binding, Identity identity, boolean given) {
    }

    /**
     * @param applies whether the policy's subjects (and {@code min_auth}) match the agent
     * @param why     why not, or {@code null} when it applies
     */
    public record PolicyStep(Policy policy, boolean applies, String why) {
    }

    /**
     * One destination of one rule, at its place in the decision ladder.
     *
     * @param rank               1-based place in the decision order
     * @param destinationMatches the host or prefix matches the flow (ports, HTTP may still not)
     * @param matches            the rule is a candidate for this flow
     * @param decides            this is the first candidate: it made the decision
     * @param why                why it is no candidate, or {@code null} when it is
     */
    public record RuleStep(int rank, Policy policy, Rule rule, Destination destination, boolean destinationMatches,
                           boolean matches, boolean decides, String why) {

        public String name() {
            return policy.id() + "/" + rule.id();
        }
    }

    /**
     * The intercept rule destination that decided without being a candidate of the agent's ladder (docs/policy.md,
     * "intercept"): the first, in decision order, of every intercept rule's host destinations matching the SNI and
     * port.
     */
    public record InterceptStep(Policy policy, Rule rule, Destination destination) {

        public String name() {
            return policy.id() + "/" + rule.id();
        }

        /** {@code p/r api.example.com port 443 matches the SNI for any agent: ...}. */
        public String text() {
            return name() + " " + destination + " matches the SNI for any agent: each request is decided once TLS is"
                    + " terminated";
        }
    }

    /** The candidate that decided, if a rule did (not a built-in decision). */
    public Optional<RuleStep> winner() {
        return rules.stream().filter(RuleStep::decides).findFirst();
    }

    /**
     * The ladder as text, one line per item. Without {@code all}, rule destinations that name neither the flow's
     * name nor its address (nor, for a wildcard, the name as its apex) are counted rather than listed.
     */
    public List<String> lines(boolean all) {
        List<String> out = new ArrayList<>();
        out.add("flow: " + source(facts) + " -> " + Addresses.hostPort(facts.originalDestination()) + ", "
                + peek(facts.peek()));
        out.add("identity: " + identityText());
        if (identity.identity() != null && identity.identity().active()) {
            policyLines(out);
            ruleLines(out, all);
        } else if (intercept != null) {
            out.add("intercept: " + intercept.text());
        }
        out.add("decision: " + describe(decision));
        out.add("reason: " + decision.reason());
        return out;
    }

    private String identityText() {
        String src = identity.source() == null ? "?" : Addresses.text(identity.source());
        String bound = identity.binding() == null ? "source " + src + " is in no subnet binding"
                : "source " + src + " is in subnet " + identity.binding().subnet();
        if (identity.given()) {
            return "given: " + Describe.identity(identity.identity()) + " (" + bound
                    + (identity.binding() == null ? "" : ", bound to agent " + identity.binding().identity().agentId())
                    + ")";
        }
        return bound + " -> " + (identity.identity() == null ? "no agent identity"
                : Describe.identity(identity.identity()));
    }

    private void policyLines(List<String> out) {
        out.add("policies (priority order):");
        if (policies.isEmpty()) {
            out.add("  (none)");
            return;
        }
        int idWidth = policies.stream().mapToInt(p -> p.policy().id().length()).max().orElse(0);
        int prioWidth = policies.stream().mapToInt(p -> Integer.toString(p.policy().priority()).length()).max()
                .orElse(0);
        for (PolicyStep p : policies) {
            out.add(String.format(Locale.ROOT, "  %-7s  %-" + idWidth + "s  priority %-" + prioWidth + "d  %-7s  %s",
                    p.applies() ? "applies" : "skipped", p.policy().id(), p.policy().priority(),
                    p.policy().mode().code(), p.applies() ? Describe.subjects(p.policy().subjects()) : p.why()));
        }
    }

    private void ruleLines(List<String> out, boolean all) {
        out.add("rules (decision order: priority, deny before allow, most specific destination, policy id, rule"
                + " order):");
        if (policies.stream().noneMatch(PolicyStep::applies)) {
            out.add("  (no policy applies to this agent)");
            if (intercept != null) {
                out.add("  intercepted by " + intercept.text());
            }
            return;
        }
        String name = PolicySnapshot.claimedName(facts.peek());
        List<RuleStep> shown = rules.stream().filter(s -> all || s.destinationMatches() || s.matches()
                || isWildcardOf(s.destination(), name)).toList();
        int rankWidth = shown.stream().mapToInt(s -> Integer.toString(s.rank()).length()).max().orElse(1);
        int nameWidth = shown.stream().mapToInt(s -> s.name().length()).max().orElse(0);
        for (RuleStep s : shown) {
            String status = s.decides() ? "MATCH" : s.matches() ? "match" : "no";
            String tail = s.decides() ? "  <- decides" : s.matches() ? "  (outranked)" : ": " + s.why();
            out.add(String.format(Locale.ROOT, "  #%-" + rankWidth + "d  %-5s  %-" + nameWidth + "s  %-5s  %s%s",
                    s.rank(), status, s.name(), s.rule().action().code(), s.destination(), tail));
        }
        int hidden = rules.size() - shown.size();
        if (rules.isEmpty()) {
            out.add("  (the applying policies have no rules)");
        } else if (hidden > 0) {
            out.add("  (" + hidden + (hidden == 1 ? " other rule destination names" : " other rule destinations name")
                    + " neither this name nor this address)");
        }
        if (winner().isEmpty()) {
            out.add(intercept != null ? "  no rule matches: intercepted by " + intercept.text()
                    : "  no rule matches: default deny");
        }
    }

    /** {@code *.example.com} for the name {@code example.com}: a near miss worth showing (wildcards skip the apex). */
    private static boolean isWildcardOf(Destination d, String name) {
        return name != null && d.isHost() && d.host().toString().equals("*." + name);
    }

    /** The flow's source, without the port when it is 0 (not given: it never changes a decision). */
    public static String source(FlowFacts f) {
        return f.source().getPort() == 0 && f.source().getAddress() != null ? Addresses.text(f.source().getAddress())
                : Addresses.hostPort(f.source());
    }

    /** What the first bytes claimed, as explain prints it. */
    public static String peek(PeekFacts p) {
        return switch (p.kind()) {
            case TLS -> (p.name() == null ? "tls without sni" : "tls, sni " + p.name())
                    + (p.echOffered() ? ", ech offered" : "");
            case HTTP -> "http " + p.httpMethod() + " " + p.httpTarget()
                    + (p.name() == null ? ", no host" : ", host " + p.name());
            case OPAQUE -> "opaque (neither TLS nor HTTP)";
            case NONE -> "not peeked";
        };
    }

    /**
     * {@code relay to api.openai.com:443 (dial resolved), policy research-llm, rule llm-apis, revision 42},
     * {@code intercept api.openai.com:443 (dial resolved), policy research-llm, rule llm-apis, revision 42} or
     * {@code deny (policy_denied), rule default, revision 42}.
     */
    public static String describe(PolicyDecision d) {
        StringBuilder b = new StringBuilder();
        switch (d.verdict()) {
            case Verdict.Relay r -> b.append("relay to ").append(r.host() != null
                            ? r.host() + ":" + r.upstream().getPort() : Addresses.hostPort(r.upstream()))
                    .append(" (dial ").append(r.dial().code()).append(')');
            case Verdict.Intercept i -> b.append("intercept ").append(i.host()).append(':')
                    .append(i.upstream().getPort()).append(" (dial ").append(i.dial().code()).append(')');
            case Verdict.Deny deny -> b.append("deny (").append(deny.termination().code()).append(')');
        }
        if (d.policyId() != null) {
            b.append(", policy ").append(d.policyId());
        }
        b.append(", rule ").append(d.ruleId());
        if (d.policyId() == null) {
            b.append(" (built-in)");
        }
        b.append(", revision ").append(d.revision());
        if (d.wouldDeny()) {
            b.append(", would_deny (report mode)");
        }
        return b.toString();
    }
}
