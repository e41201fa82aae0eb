package io.clawgress.enforcement.policy;

import io.clawgress.api.PeekFacts;

import java.util.Map;

/**
 * The host-name index: exact names and {@code *.suffix} wildcards, flattened from a label trie into two hash tables
 * keyed by the name and by each label-aligned suffix. One right-to-left pass over the claimed name computes the
 * hash of every suffix that starts at a label boundary incrementally and probes the wildcard table there, and the
 * exact table at the start: the cost depends on the name's length, never on the number of rules, and nothing is
 * allocated (keys are compared in place with {@link String#regionMatches}). Immutable; safe on any thread.
 */
final class HostTable {

    private final String[] exactKeys;
    private final int[] exactHashes;
    private final Object[] exactValues;
    private final String[] wildKeys;
    private final int[] wildHashes;
    private final Object[] wildValues;

    /**
     * @param exact     full names (lower-case A-labels) to their targets, sorted by rank
     * @param wildcards for {@code *.example.com}, the key {@code example.com}; it matches strict subdomains only
     */
    HostTable(Map<String, Target[]> exact, Map<String, Target[]> wildcards) {
        int ec = capacity(exact.size());
        exactKeys = new String[ec];
        exactHashes = new int[ec];
        exactValues = new Object[ec];
        exact.forEach((k, v) -> put(exactKeys, exactHashes, exactValues, k, v));
        int wc = capacity(wildcards.size());
        wildKeys = new String[wc];
        wildHashes = new int[wc];
        wildValues = new Object[wc];
        wildcards.forEach((k, v) -> put(wildKeys, wildHashes, wildValues, k, v));
    }

    private static int capacity(int n) {
        return Integer.highestOneBit(Math.max(4, n * 2 - 1)) << 1;
    }

    private static void put(String[] keys, int[] hashes, Object[] values, String key, Object value) {
        int h = hash(key, 0);
        int slot = spread(h) & (keys.length - 1);
        while (keys[slot] != null) {
            if (keys[slot].equals(key)) {
                throw new IllegalArgumentException("host: '" + key + "' twice (expected: each key once)");
            }
            slot = (slot + 1) & (keys.length - 1);
        }
        keys[slot] = key;
        hashes[slot] = h;
        values[slot] = value;
    }

    /** The hash of {@code s.substring(from)}, accumulated right to left (so suffix hashes extend incrementally). */
    static int hash(String s, int from) {
        int h = 0;
        for (int i = s.length() - 1; i >= from; i--) {
            h = h * 31 + s.charAt(i);
        }
        return h;
    }

    private static int spread(int h) {
        int x = h * 0x9E3779B9;
        return x ^ (x >>> 16);
    }

    /**
     * The best-ranked target eligible for the flow among the exact entry for {@code name} and the wildcards covering
     * it, or {@code null}. Each entry's targets are sorted by rank, so only the first eligible one of each counts.
     */
    Target best(String name, boolean[] groups, int port, PeekFacts peek) {
        return lookup(name, groups, port, peek);
    }

    /**
     * The best-ranked target for {@code name} that takes {@code port}, whatever its subject group and HTTP
     * conditions, or {@code null}: how the intercept table is read (the identity and the request are known only
     * once TLS is terminated).
     */
    Target bestOnPort(String name, int port) {
        return lookup(name, null, port, null);
    }

    /** With {@code groups == null}, only the port is checked. */
    private Target lookup(String name, boolean[] groups, int port, PeekFacts peek) {
        int len = name.length();
        int h = 0;
        Target best = null;
        for (int i = len - 1; i >= 0; i--) {
            char c = name.charAt(i);
            if (c == '.' && i < len - 1) {
                // name[i+1..] is a label-aligned suffix, and name a strict subdomain of it.
                Object v = find(wildKeys, wildHashes, wildValues, name, i + 1, h);
                if (v != null) {
                    best = Target.better(best, first((Target[]) v, groups, port, peek));
                }
            }
            h = h * 31 + c;
        }
        Object v = find(exactKeys, exactHashes, exactValues, name, 0, h);
        if (v != null) {
            best = Target.better(best, first((Target[]) v, groups, port, peek));
        }
        return best;
    }

    private static Target first(Target[] list, boolean[] groups, int port, PeekFacts peek) {
        return groups == null ? Target.firstOnPort(list, port) : Target.firstEligible(list, groups, port, peek);
    }

    private static Object find(String[] keys, int[] hashes, Object[] values, String name, int from, int h) {
        int n = name.length() - from;
        int slot = spread(h) & (keys.length - 1);
        String k;
        while ((k = keys[slot]) != null) {
            if (hashes[slot] == h && k.length() == n && name.regionMatches(from, k, 0, n)) {
                return values[slot];
            }
            slot = (slot + 1) & (keys.length - 1);
        }
        return null;
    }
}
