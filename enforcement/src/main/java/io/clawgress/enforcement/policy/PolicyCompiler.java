package io.clawgress.enforcement.policy;

import io.clawgress.api.Identity;
import io.clawgress.enforcement.net.Cidr;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Compiles a validated {@link PolicySet} into a {@link PolicySnapshot}. The result depends only on the set's
 * content, not on the order of files or documents: policies are sorted by priority (descending) then id, and every
 * target gets its place in one total order (see {@link Target}). Runs off the data path (activation thread).
 */
public final class PolicyCompiler {

    private PolicyCompiler() {
    }

    public static PolicySnapshot compile(PolicySet set, String revision) {
        if (revision == null || revision.isBlank()) {
            throw new IllegalArgumentException("revision: '" + revision + "' (expected: non-blank text)");
        }
        List<Policy> policies = new ArrayList<>(set.policies());
        policies.sort(Comparator.comparingInt(Policy::priority).reversed().thenComparing(Policy::id));

        Map<Subjects, Integer> groupIndex = new LinkedHashMap<>();
        record Pending(Policy policy, int ruleIndex, Rule rule, int destIndex, Destination dest, int group) {
        }
        List<Pending> pending = new ArrayList<>();
        for (Policy p : policies) {
            int group = groupIndex.computeIfAbsent(p.subjects(), s -> groupIndex.size());
            for (int r = 0; r < p.rules().size(); r++) {
                Rule rule = p.rules().get(r);
                for (int d = 0; d < rule.destinations().size(); d++) {
                    pending.add(new Pending(p, r, rule, d, rule.destinations().get(d), group));
                }
            }
        }
        pending.sort(Comparator.comparingInt((Pending x) -> -x.policy().priority())
                .thenComparingInt(x -> x.rule().action() == Action.DENY ? 0 : 1)
                .thenComparingInt(x -> specificity(x.dest()))
                .thenComparing(x -> x.policy().id())
                .thenComparingInt(Pending::ruleIndex)
                .thenComparingInt(Pending::destIndex));

        Map<String, List<Target>> exact = new LinkedHashMap<>();
        Map<String, List<Target>> wild = new LinkedHashMap<>();
        Map<Cidr, List<Target>> cidr4 = new LinkedHashMap<>();
        Map<Cidr, List<Target>> cidr6 = new LinkedHashMap<>();
        // Host destinations of intercept rules again, alone: looked up by name and port only (PolicySnapshot).
        Map<String, List<Target>> interceptExact = new LinkedHashMap<>();
        Map<String, List<Target>> interceptWild = new LinkedHashMap<>();
        for (int rank = 0; rank < pending.size(); rank++) {
            Pending x = pending.get(rank);
            Target t = new Target(rank, x.group(), x.policy(), x.rule(), x.dest(), revision);
            Destination d = x.dest();
            if (d.isHost()) {
                String text = d.host().toString();
                boolean wildcard = text.startsWith("*.");
                String key = wildcard ? text.substring(2) : text;
                (wildcard ? wild : exact).computeIfAbsent(key, k -> new ArrayList<>()).add(t);
                if (t.intercepts) {
                    (wildcard ? interceptWild : interceptExact).computeIfAbsent(key, k -> new ArrayList<>()).add(t);
                }
            } else {
                (d.cidr().isIpv4() ? cidr4 : cidr6).computeIfAbsent(d.cidr(), k -> new ArrayList<>()).add(t);
            }
        }
        Map<Cidr, Optional<Identity>> b4 = new LinkedHashMap<>();
        Map<Cidr, Optional<Identity>> b6 = new LinkedHashMap<>();
        for (IdentityBinding b : set.bindings()) {
            (b.subnet().isIpv4() ? b4 : b6).put(b.subnet(), Optional.of(b.identity()));
        }
        TreeSet<String> interceptPatterns = new TreeSet<>(interceptExact.keySet());
        interceptWild.keySet().forEach(k -> interceptPatterns.add("*." + k));
        HostTable intercepts = interceptPatterns.isEmpty() ? null
                : new HostTable(arrays(interceptExact), arrays(interceptWild));
        return new PolicySnapshot(revision, new PolicySet(policies, set.bindings()),
                groupIndex.keySet().toArray(new Subjects[0]),
                new HostTable(arrays(exact), arrays(wild)), intercepts, List.copyOf(interceptPatterns),
                PrefixTable.of(true, arrays(cidr4)), PrefixTable.of(false, arrays(cidr6)),
                PrefixTable.of(true, b4), PrefixTable.of(false, b6), pending.size());
    }

    /** Lower is more specific: exact name, then wildcards by suffix length, then prefixes by length. */
    private static int specificity(Destination d) {
        if (d.isHost()) {
            String text = d.host().toString();
            return text.startsWith("*.") ? 1000 - text.length() : 0;
        }
        return 2000 - d.cidr().prefixLength();
    }

    private static <K> Map<K, Target[]> arrays(Map<K, List<Target>> m) {
        Map<K, Target[]> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, v.toArray(new Target[0])));
        return out;
    }
}
