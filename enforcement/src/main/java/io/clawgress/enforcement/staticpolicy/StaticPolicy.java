package io.clawgress.enforcement.staticpolicy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The interim L4 policy held in the config file (the signed bundles replace it behind the same SPI): subnet
 * bindings, then an ordered rule list, then default deny.
 */
public record StaticPolicy(List<SubnetBinding> bindings, List<StaticRule> rules) {
    public StaticPolicy {
        bindings = List.copyOf(bindings);
        rules = List.copyOf(rules);
        Set<String> ids = new HashSet<>();
        for (StaticRule r : rules) {
            if (!ids.add(r.id())) {
                throw new IllegalArgumentException("rules: duplicate id '" + r.id() + "' (expected: unique ids)");
            }
        }
        for (SubnetBinding b : bindings) {
            for (SubnetBinding other : bindings) {
                if (other != b && other.subnet().equals(b.subnet())) {
                    throw new IllegalArgumentException("bindings: subnet " + b.subnet()
                            + " bound twice (expected: each subnet once)");
                }
            }
        }
    }

    /** A policy that denies everything: no bindings, no rules. */
    public static StaticPolicy denyAll() {
        return new StaticPolicy(List.of(), List.of());
    }
}
