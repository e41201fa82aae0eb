package io.clawgress.enforcement.policy;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;
import io.clawgress.enforcement.net.Cidr;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/** Sources in {@code subnet} are the agent {@code identity}, established by subnet (DESIGN.md §4). */
public record IdentityBinding(Cidr subnet, Identity identity) {
    public IdentityBinding {
        Objects.requireNonNull(subnet, "subnet");
        Objects.requireNonNull(identity, "identity");
        if (identity.auth() != AuthMethod.SUBNET) {
            throw new IllegalArgumentException("identity.auth: " + identity.auth().code() + " (expected: subnet)");
        }
    }

    /** Whether two prefixes share any address: one contains the other's network address. */
    static boolean overlap(Cidr a, Cidr b) {
        if (a.isIpv4() != b.isIpv4()) {
            return false;
        }
        Cidr shorter = a.prefixLength() <= b.prefixLength() ? a : b;
        Cidr longer = shorter == a ? b : a;
        return shorter.contains(CidrBits.network(longer));
    }

    /**
     * Pairs {@code {earlier, later}} (indexes into {@code subnets}, in list order) of overlapping prefixes, in
     * O(n log n): prefixes are nested or disjoint, so after sorting by family, network and length, every prefix that
     * overlaps anything overlaps the nearest preceding prefix not itself contained in another.
     */
    static List<int[]> overlaps(List<Cidr> subnets) {
        int n = subnets.size();
        byte[][] nets = new byte[n][];
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            nets[i] = CidrBits.network(subnets.get(i)).getAddress();
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingInt(i -> nets[i].length)
                .thenComparing((a, b) -> Arrays.compareUnsigned(nets[a], nets[b]))
                .thenComparingInt(i -> subnets.get(i).prefixLength())
                .thenComparingInt(i -> i));
        List<int[]> out = new ArrayList<>();
        int container = -1;
        for (int k = 0; k < n; k++) {
            int i = order[k];
            if (container >= 0 && overlap(subnets.get(container), subnets.get(i))) {
                out.add(new int[] {Math.min(container, i), Math.max(container, i)});
            } else {
                container = i;
            }
        }
        out.sort(Comparator.<int[]>comparingInt(x -> x[1]).thenComparingInt(x -> x[0]));
        return out;
    }
}
