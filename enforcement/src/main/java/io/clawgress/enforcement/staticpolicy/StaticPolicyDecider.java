package io.clawgress.enforcement.staticpolicy;

import io.clawgress.api.Decision;
import io.clawgress.api.FlowDecider;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.enforcement.net.Addresses;
import io.clawgress.enforcement.net.Cidr;
import io.clawgress.enforcement.net.HostPattern;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Decides flows with the interim {@link StaticPolicy}: the source's subnet binding gives the identity (longest
 * prefix wins), then the first rule that matches agent, port, host name (host rules, on the name the first bytes
 * claimed) and destination prefix decides; nothing matching means deny, and TLS without SNI that no address rule
 * allows is {@code sni_missing}. An allowed name is relayed with the name, so the relay dials an address the gateway
 * resolved itself. Immutable; safe on any thread. Linear in the rule count, which is fine for the few rules a static
 * policy holds; the signed bundles compile to indexed structures instead.
 */
public final class StaticPolicyDecider implements FlowDecider {

    /** Pseudo-rule ids for decisions no configured rule made. */
    public static final String DEFAULT_RULE = "default";
    public static final String UNBOUND_RULE = "unbound_source";
    public static final String DISABLED_RULE = "agent_disabled";
    public static final String SNI_MISSING_RULE = "sni_missing";

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
        PeekFacts peek = facts.peek();
        String name = claimedName(peek);
        for (StaticRule rule : rules) {
            if (!rule.agents().isEmpty() && !rule.agents().contains(agent.agentId())) {
                continue;
            }
            if (!rule.ports().contains(dst.getPort())) {
                continue;
            }
            HostPattern host = rule.isHostRule() ? firstMatching(rule.hosts(), name) : null;
            if (rule.isHostRule() && host == null) {
                continue;
            }
            Cidr cidr = rule.destinations().isEmpty() ? null : firstContaining(rule.destinations(), dst.getAddress());
            if (!rule.destinations().isEmpty() && cidr == null) {
                continue;
            }
            String why = (rule.action() == StaticRule.Action.ALLOW ? "allowed" : "denied") + " by rule "
                    + rule.id() + ": " + (host != null ? "name " + name + " matches " + host + ", " : "")
                    + (cidr != null ? Addresses.hostPort(dst) + " is in " + cidr + ", " : "")
                    + "port in " + rule.ports();
            return switch (rule.action()) {
                case ALLOW -> new Decision(identity, host != null
                        ? new Verdict.Relay(dst, name, rule.dial(), rule.id(), why)
                        : new Verdict.Relay(dst, rule.id(), why), revision);
                case DENY -> deny(identity, rule.id(), why);
            };
        }
        if (peek.kind() == PeekFacts.Kind.TLS && peek.name() == null) {
            // DESIGN.md §3: TLS without SNI is denied unless an address rule allows the destination.
            return new Decision(identity, new Verdict.Deny(Termination.SNI_MISSING, SNI_MISSING_RULE,
                    "TLS to " + Addresses.hostPort(dst) + " without SNI, and no address rule allows it"), revision);
        }
        return deny(identity, DEFAULT_RULE, "no rule allows agent " + agent.agentId() + " to reach "
                + (name != null ? name + " at " : "") + Addresses.hostPort(dst) + " (default deny)");
    }

    /** The host name the flow claimed, or null; an IP literal in Host is no name (the address decides). */
    private static String claimedName(PeekFacts peek) {
        String n = peek.name();
        if (n == null || n.indexOf(':') >= 0 || isDottedQuad(n)) {
            return null;
        }
        return n;
    }

    /** Digits and three dots: an IPv4 literal (a host name's last label is never all digits). No regex per flow. */
    private static boolean isDottedQuad(String n) {
        int dots = 0;
        for (int i = 0; i < n.length(); i++) {
            char c = n.charAt(i);
            if (c == '.') {
                dots++;
            } else if (c < '0' || c > '9') {
                return false;
            }
        }
        return dots == 3;
    }

    private static HostPattern firstMatching(List<HostPattern> hosts, String name) {
        if (name == null) {
            return null;
        }
        for (HostPattern h : hosts) {
            if (h.matches(name)) {
                return h;
            }
        }
        return null;
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
