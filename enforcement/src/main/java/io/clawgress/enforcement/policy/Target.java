package io.clawgress.enforcement.policy;

import io.clawgress.api.PeekFacts;
import io.clawgress.enforcement.net.PortSet;

/**
 * One compiled (policy, rule, destination) triple. {@code rank} is its place in the decision ladder (lower decides
 * first): priority descending, deny before allow, then the more specific destination (exact name, longer wildcard
 * suffix, longer prefix), then policy id, rule and destination order. Immutable.
 */
final class Target {

    final int rank;
    final int group;
    final Policy policy;
    final Rule rule;
    final Destination destination;
    final PortSet ports;
    final HttpMatch http;
    /** Why, as recorded: constant per target, so a decision needs no string building. */
    final String reason;
    /** The whole decision when it does not depend on the flow (enforced denials), else null. */
    final PolicyDecision fixedDecision;
    /**
     * A host destination of a rule with {@code intercept: true}: a TLS flow it decides, or that it matches by name
     * and port when nothing else allows it, is terminated (docs/policy.md, "intercept").
     */
    final boolean intercepts;
    /** Why, for an intercept decision by this target (constant, like {@link #reason}), or null. */
    final String interceptReason;

    Target(int rank, int group, Policy policy, Rule rule, Destination destination, String revision) {
        this.rank = rank;
        this.group = group;
        this.policy = policy;
        this.rule = rule;
        this.destination = destination;
        this.ports = destination.ports();
        this.http = rule.http();
        this.reason = reason(policy, rule, destination);
        this.fixedDecision = rule.action() == Action.DENY && policy.mode() == Mode.ENFORCE
                ? PolicyDecision.denied(reason, policy, rule, revision) : null;
        this.intercepts = rule.intercept() && destination.isHost();
        this.interceptReason = intercepts ? "intercepted by policy " + policy.id() + " rule " + rule.id()
                + ": TLS terminated so each request is decided" : null;
    }

    private static String reason(Policy policy, Rule rule, Destination destination) {
        String what = destination + (rule.http() == null ? "" : ", http " + describe(rule.http()));
        String by = " by policy " + policy.id() + " rule " + rule.id() + ": " + what;
        if (rule.action() == Action.ALLOW) {
            return "allowed" + by;
        }
        return policy.mode() == Mode.REPORT ? "would be denied" + by + " (report mode: relayed)" : "denied" + by;
    }

    private static String describe(HttpMatch http) {
        String methods = http.methods().isEmpty() ? "any method" : String.join("|", http.methods());
        String paths = http.paths().isEmpty() ? "any path" : String.join("|", http.paths()) + "*";
        return methods + " " + paths;
    }

    /** Whether this target applies to the flow: subject group, port and (for HTTP rules) method and path. */
    boolean eligible(boolean[] groups, int port, PeekFacts peek) {
        if (!groups[group] || !ports.contains(port)) {
            return false;
        }
        // A rule with HTTP conditions needs HTTP facts; a ClientHello alone cannot satisfy it (docs/policy.md).
        return http == null || (peek.kind() == PeekFacts.Kind.HTTP
                && http.matches(peek.httpMethod(), peek.httpTarget(), rule.action()));
    }

    /** The first target of a rank-sorted list that takes {@code port}, whatever its subjects and HTTP, or null. */
    static Target firstOnPort(Target[] list, int port) {
        for (Target t : list) {
            if (t.ports.contains(port)) {
                return t;
            }
        }
        return null;
    }

    /** The first eligible target of a rank-sorted list, or null. */
    static Target firstEligible(Target[] list, boolean[] groups, int port, PeekFacts peek) {
        for (Target t : list) {
            if (t.eligible(groups, port, peek)) {
                return t;
            }
        }
        return null;
    }

    static Target better(Target a, Target b) {
        if (a == null) {
            return b;
        }
        return b == null || a.rank <= b.rank ? a : b;
    }
}
