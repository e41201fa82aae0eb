package io.clawgress.enforcement.policy;

import io.clawgress.enforcement.net.Cidr;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Prefixes of one address family, hashed per prefix length: a lookup probes one open-addressing table per distinct
 * length present, longest first (at most 33 for IPv4, 129 for IPv6), so its cost does not depend on how many
 * prefixes there are. Immutable once built; safe on any thread.
 *
 * @param <V> what a prefix maps to
 */
final class PrefixTable<V> {

    private final boolean v4;
    private final int[] lengths;
    private final long[][] highs;
    private final long[][] lows;
    private final Object[][] values;

    private PrefixTable(boolean v4, Map<Integer, Map<List<Long>, V>> byLength) {
        this.v4 = v4;
        int n = byLength.size();
        lengths = new int[n];
        highs = new long[n][];
        lows = new long[n][];
        values = new Object[n][];
        int i = 0;
        for (int len : new TreeSet<>(byLength.keySet()).descendingSet()) {
            Map<List<Long>, V> m = byLength.get(len);
            int cap = Integer.highestOneBit(Math.max(4, m.size() * 2 - 1)) << 1;
            long[] hs = new long[cap];
            long[] ls = new long[cap];
            Object[] vs = new Object[cap];
            for (Map.Entry<List<Long>, V> e : m.entrySet()) {
                long h = e.getKey().get(0);
                long l = e.getKey().get(1);
                int slot = slot(h, l, cap);
                while (vs[slot] != null) {
                    slot = (slot + 1) & (cap - 1);
                }
                hs[slot] = h;
                ls[slot] = l;
                vs[slot] = e.getValue();
            }
            lengths[i] = len;
            highs[i] = hs;
            lows[i] = ls;
            values[i] = vs;
            i++;
        }
    }

    /** Builds a table of one family; {@code entries} must all be IPv4 or all IPv6, each prefix once. */
    static <V> PrefixTable<V> of(boolean v4, Map<Cidr, V> entries) {
        Map<Integer, Map<List<Long>, V>> byLength = new LinkedHashMap<>();
        for (Map.Entry<Cidr, V> e : entries.entrySet()) {
            Cidr c = e.getKey();
            if (c.isIpv4() != v4) {
                throw new IllegalArgumentException("cidr: " + c + " (expected: IPv" + (v4 ? "4" : "6") + ")");
            }
            byte[] b = CidrBits.network(c).getAddress();
            List<Long> key = List.of(CidrBits.high(b), CidrBits.low(b));
            if (byLength.computeIfAbsent(c.prefixLength(), k -> new LinkedHashMap<>()).put(key, e.getValue()) != null) {
                throw new IllegalArgumentException("cidr: " + c + " twice (expected: each prefix once)");
            }
        }
        return new PrefixTable<>(v4, byLength);
    }

    private static int slot(long h, long l, int cap) {
        long x = h * 0x9E3779B97F4A7C15L ^ l * 0xC2B2AE3D27D4EB4FL;
        return (int) (x ^ (x >>> 29) ^ (x >>> 41)) & (cap - 1);
    }

    /** Address bits as looked up: IPv4 in the low 32 bits of the high word. Allocation-free for IPv4. */
    static long high(InetAddress address) {
        return address instanceof Inet4Address a4 ? CidrBits.ipv4(a4) & 0xffffffffL
                : CidrBits.high(address.getAddress());
    }

    static long low(InetAddress address) {
        return address instanceof Inet4Address ? 0 : CidrBits.low(address.getAddress());
    }

    boolean isIpv4() {
        return v4;
    }

    /** The value of the {@code i}-th longest prefix length present that contains {@code h:l}, or null. */
    V probe(int i, long h, long l) {
        return find(i, CidrBits.maskHigh(h, lengths[i], v4), CidrBits.maskLow(l, lengths[i], v4));
    }

    int length(int i) {
        return lengths[i];
    }

    /** The value of the longest prefix containing {@code address}, or null (also for the other family). */
    V longest(InetAddress address) {
        if ((address instanceof Inet4Address) != v4) {
            return null;
        }
        long h = high(address);
        long l = low(address);
        for (int i = 0; i < lengths.length; i++) {
            V v = probe(i, h, l);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private V find(int i, long h, long l) {
        long[] hs = highs[i];
        long[] ls = lows[i];
        Object[] vs = values[i];
        int cap = vs.length;
        int slot = slot(h, l, cap);
        while (vs[slot] != null) {
            if (hs[slot] == h && ls[slot] == l) {
                return (V) vs[slot];
            }
            slot = (slot + 1) & (cap - 1);
        }
        return null;
    }

    /** Number of distinct prefix lengths: the number of probes per lookup. */
    int lengthCount() {
        return lengths.length;
    }
}
