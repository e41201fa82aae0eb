package io.clawgress.enforcement.staticpolicy;

import io.clawgress.api.Decision;
import io.clawgress.api.FlowDecider;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.enforcement.net.Addresses;
import io.clawgress.enforcement.net.Cidr;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Decides flows with the interim L4 {@link StaticPolicy}: the source's subnet binding gives the identity (longest
 * prefix wins), then the first rule that matches agent, destination prefix and port decides; nothing matching
 * means deny. Immutable; safe on any thread. Linear in the rule count, which is fine for the few rules a static
 * policy holds; the signed bundles compile to indexed structures instead.
 */
public final class StaticPolicyDecider implements FlowDecider {

    /** Pseudo-rule ids for decisions no configured rule made. */
    public static final String DEFAULT_RULE = "default";
    public static final String UNBOUND_RULE = "unbound_source";
    public static final String DISABLED_RULE = "agent_disabled";

    private final List<SubnetBinding> bindings;
    private final List<StaticRule> rules;
    private final String revision;

    /**
     * @param revision names the policy version in every decision (e.g. a digest of the config file)
     */
    public StaticPolicyDecider(StaticPolicy policy, String revision) {
        this.bindings = policy.bindings().stream()
                .sorted(Comparator.comparingInt((SubnetBinding b) -> b.subnet().prefixLength()).reversed())
                .toList();
        this.rules = policy.rules();
        this.revision = revision;
    }

    @Override
    public Decision decide(FlowFacts facts) {
        InetSocketAddress dst = facts.originalDestination();
        Optional<Identity> identity = identify(facts.source().getAddress());
        if (identity.isEmpty()) {
            return deny(identity, UNBOUND_RULE, "source " + Addresses.text(facts.source().getAddress())
                    + " is bound to no agent identity");
        }
        Identity agent = identity.get();
        if (!agent.active()) {
            return deny(identity, DISABLED_RULE, "agent " + agent.agentId() + " is disabled");
        }
        for (StaticRule rule : rules) {
            if (!rule.agents().isEmpty() && !rule.agents().contains(agent.agentId())) {
                continue;
            }
            if (!rule.ports().contains(dst.getPort())) {
                continue;
            }
            Cidr hit = firstContaining(rule.destinations(), dst.getAddress());
            if (hit == null) {
                continue;
            }
            String why = (rule.action() == StaticRule.Action.ALLOW ? "allowed" : "denied") + " by rule "
                    + rule.id() + ": " + hostPort(dst) + " is in " + hit + ", port in " + rule.ports();
            return switch (rule.action()) {
                case ALLOW -> new Decision(identity, new Verdict.Relay(dst, rule.id(), why), revision);
                case DENY -> deny(identity, rule.id(), why);
            };
        }
        return deny(identity, DEFAULT_RULE, "no rule allows agent " + agent.agentId() + " to reach "
                + hostPort(dst) + " (default deny)");
    }

    private Optional<Identity> identify(InetAddress source) {
        for (SubnetBinding b : bindings) {
            if (b.subnet().contains(source)) {
                return Optional.of(b.identity());
            }
        }
        return Optional.empty();
    }

    private static Cidr firstContaining(List<Cidr> cidrs, InetAddress address) {
        for (Cidr c : cidrs) {
            if (c.contains(address)) {
                return c;
            }
        }
        return null;
    }

    private Decision deny(Optional<Identity> identity, String rule, String reason) {
        return new Decision(identity, new Verdict.Deny(Termination.POLICY_DENIED, rule, reason), revision);
    }

    private static String hostPort(InetSocketAddress a) {
        return Addresses.hostPort(a);
    }
}
