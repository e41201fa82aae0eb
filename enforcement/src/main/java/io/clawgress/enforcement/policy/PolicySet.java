package io.clawgress.enforcement.policy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Everything a policy directory or bundle says: policies and subnet identity bindings. Policy ids are unique and
 * no two bindings overlap (a source must never be two agents).
 */
public record PolicySet(List<Policy> policies, List<IdentityBinding> bindings) {

    public PolicySet {
        policies = Ids.copy("policies", policies);
        bindings = Ids.copy("bindings", bindings);
        Set<String> ids = new HashSet<>();
        for (Policy p : policies) {
            if (!ids.add(p.id())) {
                throw new IllegalArgumentException("policies: duplicate id '" + p.id()
                        + "' (expected: unique policy ids)");
            }
        }
        List<int[]> overlaps = IdentityBinding.overlaps(bindings.stream().map(IdentityBinding::subnet).toList());
        if (!overlaps.isEmpty()) {
            int[] o = overlaps.get(0);
            throw new IllegalArgumentException("bindings: " + bindings.get(o[1]).subnet() + " overlaps "
                    + bindings.get(o[0]).subnet() + " (expected: disjoint subnets)");
        }
    }

    public static PolicySet empty() {
        return new PolicySet(List.of(), List.of());
    }
}
