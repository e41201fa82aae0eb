package io.clawgress.enforcement.net;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/** A set of TCP ports, built from single ports and inclusive ranges; {@link #ANY} matches every port. */
public final class PortSet {

    public static final PortSet ANY = new PortSet(null, "any");

    private final BitSet ports;
    private final String text;

    private PortSet(BitSet ports, String text) {
        this.ports = ports;
        this.text = text;
    }

    /**
     * Parses items such as {@code 443} or {@code "8000-8100"}.
     *
     * @throws IllegalArgumentException naming the bad item and what was expected
     */
    public static PortSet of(List<String> items) {
        Objects.requireNonNull(items, "items");
        if (items.isEmpty()) {
            throw new IllegalArgumentException("[] (expected: at least one port; omit the key to allow any port)");
        }
        BitSet set = new BitSet(65536);
        List<String> norm = new ArrayList<>();
        for (String raw : items) {
            String item = raw.trim();
            int dash = item.indexOf('-');
            int lo;
            int hi;
            if (dash < 0) {
                lo = hi = port(item, raw);
            } else {
                lo = port(item.substring(0, dash).trim(), raw);
                hi = port(item.substring(dash + 1).trim(), raw);
                if (lo > hi) {
                    throw new IllegalArgumentException("'" + raw + "' (expected: low-high with low <= high)");
                }
            }
            set.set(lo, hi + 1);
            norm.add(lo == hi ? Integer.toString(lo) : lo + "-" + hi);
        }
        return new PortSet(set, String.join(",", norm));
    }

    private static int port(String s, String raw) {
        if (!s.matches("\\d{1,5}")) {
            throw new IllegalArgumentException("'" + raw + "' (expected: a port 1..65535 or a range low-high)");
        }
        int p = Integer.parseInt(s);
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("'" + raw + "' (expected: a port 1..65535 or a range low-high)");
        }
        return p;
    }

    public boolean contains(int port) {
        return ports == null || (port >= 0 && port <= 65535 && ports.get(port));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PortSet p && java.util.Objects.equals(p.ports, ports);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hashCode(ports);
    }

    @Override
    public String toString() {
        return text;
    }
}
