package io.clawgress.enforcement.policy;

import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.enforcement.net.Addresses;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Explains a decision ({@code clawgressctl policy explain}, failing {@code policy test} scenarios): walks every
 * (policy, rule, destination) of the snapshot's policy set in decision order, says for each why it is or is not a
 * candidate, and checks that the first candidate is the rule {@link PolicySnapshot#decide} reported, with the same
 * kind of verdict. Where no candidate decides a TLS flow with an SNI (or the source is unbound), it looks for the
 * intercept rule that matches the SNI and port whatever its subjects and http, as the evaluator does.
 *
 * <p>This is a linear walk for people, not the evaluator: the data path uses the compiled tables and never calls it.
 * Its ordering mirrors {@link PolicyCompiler} (docs/policy.md, "How a flow is decided"); if the two ever disagree on
 * the deciding rule, {@link #explain} throws rather than print a ladder that is not what the gateway does.
 */
public final class PolicyExplainer {

    private record Candidate(Policy policy, int ruleIndex, Rule rule, int destIndex, Destination dest) {
    }

    /** {@link PolicyCompiler}'s order: priority, deny first, specificity, policy id, rule and destination order. */
    private static final Comparator<Candidate> LADDER = Comparator.comparingInt((Candidate c) -> -c.policy.priority())
            .thenComparingInt(c -> c.rule.action() == Action.DENY ? 0 : 1)
            .thenComparingInt(c -> specificity(c.dest))
            .thenComparing(c -> c.policy.id())
            .thenComparingInt(Candidate::ruleIndex)
            .thenComparingInt(Candidate::destIndex);

    private PolicyExplainer() {
    }

    /** Explains the decision for the identity bound to the flow's source (subnet bindings). */
    public static Explanation explain(PolicySnapshot snapshot, FlowFacts facts) {
        return explain(snapshot, facts, null);
    }

    /**
     * @param given the identity established another way (mTLS, JWT, API key), or {@code null} to resolve it from the
     *              source address as the gateway does
     * @throws IllegalStateException if the ladder and the evaluator pick different rules (a bug in one of them)
     */
    public static Explanation explain(PolicySnapshot snapshot, FlowFacts facts, Identity given) {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(facts, "facts");
        InetAddress src = facts.source().getAddress();
        IdentityBinding binding = null;
        for (IdentityBinding b : snapshot.policySet().bindings()) {
            if (src != null && b.subnet().contains(src)) {
                binding = b; // subnets never overlap (PolicySet), so this is the only one
                break;
            }
        }
        Optional<Identity> identity;
        if (given != null) {
            identity = Optional.of(given);
        } else {
            identity = src == null ? Optional.empty() : snapshot.identify(src);
            Identity bound = binding == null ? null : binding.identity();
            if (!Objects.equals(identity.orElse(null), bound)) {
                throw new IllegalStateException("explain: binding " + (binding == null ? "none" : binding.subnet())
                        + " but the snapshot identifies " + src + " as " + identity);
            }
        }
        PolicyDecision decision = snapshot.decide(facts, identity);
        Explanation.IdentityStep step = new Explanation.IdentityStep(src, binding, identity.orElse(null),
                given != null);
        PeekFacts peek = facts.peek();
        String name = PolicySnapshot.claimedName(peek);
        String sni = peek.kind() == PeekFacts.Kind.TLS ? name : null;
        int port = facts.originalDestination().getPort();
        if (identity.isEmpty()) {
            Explanation explanation = new Explanation(facts, step, List.of(), List.of(),
                    interceptFor(snapshot, sni, port), decision);
            check(explanation, sni);
            return explanation;
        }
        if (!identity.get().active()) {
            Explanation explanation = new Explanation(facts, step, List.of(), List.of(), null, decision);
            check(explanation, sni);
            return explanation;
        }
        Identity agent = identity.get();
        List<Explanation.PolicyStep> policies = new ArrayList<>();
        List<Candidate> candidates = new ArrayList<>();
        for (Policy p : snapshot.policySet().policies()) {
            String why = subjectsWhyNot(p.subjects(), agent);
            policies.add(new Explanation.PolicyStep(p, why == null, why));
            if (why != null) {
                continue;
            }
            for (int r = 0; r < p.rules().size(); r++) {
                Rule rule = p.rules().get(r);
                for (int d = 0; d < rule.destinations().size(); d++) {
                    candidates.add(new Candidate(p, r, rule, d, rule.destinations().get(d)));
                }
            }
        }
        candidates.sort(LADDER);

        InetAddress address = facts.originalDestination().getAddress();
        List<Explanation.RuleStep> rules = new ArrayList<>();
        boolean decided = false;
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            List<String> why = new ArrayList<>();
            boolean portOk = c.dest.ports().contains(port);
            if (!portOk) {
                why.add("port " + port + " not in " + c.dest.ports());
            }
            String destWhy = destinationWhyNot(c.dest, name, peek, address);
            if (destWhy != null) {
                why.add(destWhy);
            }
            HttpMatch http = c.rule.http();
            boolean httpOk = http == null || (peek.kind() == PeekFacts.Kind.HTTP
                    && http.matches(peek.httpMethod(), peek.httpTarget(), c.rule.action()));
            if (!httpOk) {
                why.add(httpWhyNot(http, c.rule.action(), peek));
            }
            boolean matches = portOk && destWhy == null && httpOk;
            boolean decides = matches && !decided;
            decided |= matches;
            rules.add(new Explanation.RuleStep(i + 1, c.policy, c.rule, c.dest, destWhy == null, matches, decides,
                    matches ? null : String.join("; ", why)));
        }
        Explanation explanation = new Explanation(facts, step, policies, rules,
                decided ? null : interceptFor(snapshot, sni, port), decision);
        check(explanation, sni);
        return explanation;
    }

    /**
     * The first, in decision order, of every intercept rule's host destinations that matches the SNI and port,
     * whatever its policy's subjects and the rule's http (as {@code PolicySnapshot.interceptFor}); {@code null}
     * without an SNI.
     */
    private static Explanation.InterceptStep interceptFor(PolicySnapshot snapshot, String sni, int port) {
        if (sni == null) {
            return null;
        }
        List<Candidate> found = new ArrayList<>();
        for (Policy p : snapshot.policySet().policies()) {
            for (int r = 0; r < p.rules().size(); r++) {
                Rule rule = p.rules().get(r);
                if (!rule.intercept()) {
                    continue;
                }
                for (int d = 0; d < rule.destinations().size(); d++) {
                    Destination dest = rule.destinations().get(d);
                    if (dest.isHost() && dest.ports().contains(port) && dest.host().matches(sni)) {
                        found.add(new Candidate(p, r, rule, d, dest));
                    }
                }
            }
        }
        return found.stream().min(LADDER).map(c -> new Explanation.InterceptStep(c.policy, c.rule, c.dest))
                .orElse(null);
    }

    /**
     * The ladder's first candidate (or, without one, the intercept rule for the SNI) must be the rule the evaluator
     * reported, with the same kind of verdict; anything else is a bug.
     */
    private static void check(Explanation e, String sni) {
        PolicyDecision d = e.decision();
        Optional<Explanation.RuleStep> w = e.winner();
        Explanation.InterceptStep i = e.intercept();
        String picked;
        boolean agrees;
        if (w.isPresent()) {
            Explanation.RuleStep s = w.get();
            picked = s.name();
            boolean intercepts = sni != null && s.rule().intercept() && s.destination().isHost();
            agrees = s.policy().id().equals(d.policyId()) && s.rule().id().equals(d.ruleId())
                    && d.intercepted() == intercepts;
        } else if (i != null) {
            picked = "intercept by " + i.name();
            agrees = d.intercepted() && i.policy().id().equals(d.policyId()) && i.rule().id().equals(d.ruleId());
        } else {
            Identity agent = e.identity().identity();
            picked = "no rule";
            String builtIn = agent == null ? PolicySnapshot.UNBOUND_RULE
                    : !agent.active() ? PolicySnapshot.DISABLED_RULE : null;
            agrees = d.policyId() == null && !d.intercepted() && (builtIn != null ? d.ruleId().equals(builtIn)
                    : d.ruleId().equals(PolicySnapshot.DEFAULT_RULE)
                            || d.ruleId().equals(PolicySnapshot.SNI_MISSING_RULE));
        }
        if (!agrees) {
            throw new IllegalStateException("explain: the ladder picks " + picked + " but the evaluator decided "
                    + d.verdict().name() + " by " + d.policyId() + "/" + d.ruleId());
        }
    }

    /** As {@code PolicyCompiler.specificity}: lower is more specific. */
    private static int specificity(Destination d) {
        if (d.isHost()) {
            String text = d.host().toString();
            return text.startsWith("*.") ? 1000 - text.length() : 0;
        }
        return 2000 - d.cidr().prefixLength();
    }

    // ---- why not ----------------------------------------------------------------------------------------------

    /** Why {@code s} does not match {@code agent} (every failing condition), or {@code null} when it does. */
    static String subjectsWhyNot(Subjects s, Identity agent) {
        List<String> why = new ArrayList<>();
        if (agent.auth().compareTo(s.minAuth()) < 0) {
            why.add("auth " + agent.auth().code() + " is weaker than min_auth " + s.minAuth().code());
        }
        field(why, "agent_id", s.agentIds(), agent.agentId());
        field(why, "team_id", s.teamIds(), agent.teamId());
        field(why, "project_id", s.projectIds(), agent.projectId());
        field(why, "environment", s.environments(), agent.environment());
        return why.isEmpty() ? null : String.join("; ", why);
    }

    private static void field(List<String> why, String key, Set<String> wanted, String value) {
        if (wanted.isEmpty()) {
            return;
        }
        if (value == null) {
            why.add("agent has no " + key + " (policy wants " + Describe.values(wanted) + ")");
        } else if (!wanted.contains(value)) {
            why.add(key + " " + value + " not in " + Describe.values(wanted));
        }
    }

    private static String destinationWhyNot(Destination d, String name, PeekFacts peek, InetAddress address) {
        if (d.isHost()) {
            if (name == null) {
                if (peek.name() != null) {
                    return "the claimed name " + peek.name() + " is an IP address: only cidr destinations match it";
                }
                return switch (peek.kind()) {
                    case TLS -> "TLS without SNI: no name to match";
                    case HTTP -> "HTTP without Host: no name to match";
                    case OPAQUE, NONE -> "no name claimed (" + peek.kind().code() + "): only cidr destinations match";
                };
            }
            if (d.host().matches(name)) {
                return null;
            }
            String pattern = d.host().toString();
            return "name " + name + " does not match " + pattern
                    + (pattern.equals("*." + name) ? " (a wildcard matches subdomains only)" : "");
        }
        if (address == null) {
            return "no destination address";
        }
        if (d.cidr().contains(address)) {
            return null;
        }
        boolean v4 = address instanceof Inet4Address;
        return "address " + Addresses.text(address) + " not in " + d.cidr()
                + (v4 == d.cidr().isIpv4() ? "" : " (other address family)");
    }

    private static String httpWhyNot(HttpMatch http, Action action, PeekFacts peek) {
        if (peek.kind() != PeekFacts.Kind.HTTP) {
            return "http conditions need a visible HTTP request (this flow is " + peek.kind().code() + ")";
        }
        String method = peek.httpMethod();
        String target = peek.httpTarget();
        if (method == null || target == null) {
            return "no HTTP method and request-target";
        }
        List<String> why = new ArrayList<>();
        if (!http.methods().isEmpty() && !http.methods().contains(method)) {
            why.add("method " + method + " not in " + String.join("|", http.methods()));
        }
        if (!http.paths().isEmpty() && !new HttpMatch(List.of(), http.paths()).matches(method, target, action)) {
            if (!target.startsWith("/") && !target.contains("://")) {
                why.add("request-target " + target + " has no path (only deny rules match it)");
            } else if (looksAmbiguous(target)) {
                why.add("path " + target + " is ambiguous (dot segments or encoded . / \\): allow rules never match"
                        + " it");
            } else {
                why.add("path " + target + " does not start with " + String.join(" or ", http.paths()));
            }
        }
        return why.isEmpty() ? "http conditions do not match" : String.join("; ", why);
    }

    /** A hint only (the decision is {@link HttpMatch#matches}): a dot segment or an encoded . / \ in the target. */
    private static boolean looksAmbiguous(String target) {
        int q = target.indexOf('?');
        String p = (q < 0 ? target : target.substring(0, q)).toLowerCase(Locale.ROOT);
        return p.contains("/./") || p.contains("/../") || p.endsWith("/.") || p.endsWith("/..") || p.contains("%2e")
                || p.contains("%2f") || p.contains("%5c") || p.indexOf('\\') >= 0;
    }
}
