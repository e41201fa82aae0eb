package io.clawgress.enforcement.staticpolicy;

import io.clawgress.enforcement.net.Cidr;
import io.clawgress.enforcement.net.PortSet;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One L4 rule of the interim static policy. Rules are checked in order; the first that matches decides.
 *
 * @param id           rule id, unique in the policy, reported in every decision
 * @param action       allow or deny
 * @param destinations destination prefixes (at least one)
 * @param ports        destination ports ({@link PortSet#ANY} when the config omits them)
 * @param agents       agent ids the rule applies to; empty means every identified agent
 */
public record StaticRule(String id, Action action, List<Cidr> destinations, PortSet ports, Set<String> agents) {

    public enum Action { ALLOW, DENY }

    public StaticRule {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(ports, "ports");
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
            throw new IllegalArgumentException("id: '" + id + "' (expected: 1-64 of A-Z a-z 0-9 . _ -)");
        }
        destinations = List.copyOf(destinations);
        agents = Set.copyOf(agents);
        if (destinations.isEmpty()) {
            throw new IllegalArgumentException("destinations: [] (expected: at least one CIDR)");
        }
    }
}
