package io.clawgress.enforcement.staticpolicy;

import io.clawgress.api.DialMode;
import io.clawgress.enforcement.net.Cidr;
import io.clawgress.enforcement.net.HostPattern;
import io.clawgress.enforcement.net.PortSet;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One L4 rule of the interim static policy. Rules are checked in order; the first that matches decides.
 *
 * <p>A rule with {@code hosts} matches only flows whose first bytes named a matching host (TLS SNI or HTTP Host);
 * the relay then dials per {@code dial} an address the gateway resolved for that name. A rule with only
 * {@code destinations} is an address rule: it matches the original destination and dials it.
 *
 * @param id           rule id, unique in the policy, reported in every decision
 * @param action       allow or deny
 * @param hosts        host names (exact or {@code *.suffix}); empty for an address rule
 * @param destinations destination prefixes; with hosts, a further restriction on the original destination
 * @param ports        destination ports ({@link PortSet#ANY} when the config omits them)
 * @param agents       agent ids the rule applies to; empty means every identified agent
 * @param dial         how a host rule's relay picks its address ({@link DialMode#ORIGINAL} for address rules)
 */
public record StaticRule(String id, Action action, List<HostPattern> hosts, List<Cidr> destinations, PortSet ports,
                         Set<String> agents, DialMode dial) {

    public enum Action { ALLOW, DENY }

    public StaticRule {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(ports, "ports");
        Objects.requireNonNull(dial, "dial");
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException("id: '" + id + "' (expected: 1-64 of A-Z a-z 0-9 . _ -)");
        }
        hosts = List.copyOf(hosts);
        destinations = List.copyOf(destinations);
        agents = Set.copyOf(agents);
        if (hosts.isEmpty() && destinations.isEmpty()) {
            throw new IllegalArgumentException("hosts and destinations both empty (expected: at least one of them)");
        }
        if (hosts.isEmpty() != (dial == DialMode.ORIGINAL)) {
            throw new IllegalArgumentException("dial: " + dial.code() + " (expected: original for an address rule, "
                    + "resolved or original_if_resolved for a host rule)");
        }
    }

    /** An address rule: destinations and ports, dialled as they are. */
    public StaticRule(String id, Action action, List<Cidr> destinations, PortSet ports, Set<String> agents) {
        this(id, action, List.of(), destinations, ports, agents, DialMode.ORIGINAL);
    }

    /** Whether this rule matches names (and so dials resolved addresses). */
    public boolean isHostRule() {
        return !hosts.isEmpty();
    }
}
