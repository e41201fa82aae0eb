package io.clawgress.appliance.metrics;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The values one metric label may take: the first {@code cap} distinct values seen are kept as they are, every
 * later one becomes {@value #OTHER}, so a policy with thousands of rules (or a peer inventing reason codes) cannot
 * grow the scrape without bound. A missing value is {@value #NONE}. Any thread, lock-free: a hit is one map read.
 */
final class BoundedLabel {

    /** What a value beyond the cap is counted as. */
    static final String OTHER = "other";
    /** What a missing (null or empty) value is counted as. */
    static final String NONE = "none";

    private final String name;
    private final int cap;
    private final ConcurrentHashMap<String, String> admitted = new ConcurrentHashMap<>();
    private final AtomicInteger slots = new AtomicInteger();

    BoundedLabel(String name, int cap) {
        if (cap < 1) {
            throw new IllegalArgumentException(name + " cap: " + cap + " (expected: >= 1)");
        }
        this.name = name;
        this.cap = cap;
    }

    /** The label value to count {@code value} under: itself while there is room, else {@value #OTHER}. */
    String of(String value) {
        if (value == null || value.isEmpty()) {
            return NONE;
        }
        String known = admitted.get(value);
        if (known != null) {
            return known;
        }
        // Reserve a slot before admitting, so that the map never holds more than cap values.
        if (slots.get() >= cap) {
            return OTHER;
        }
        if (slots.incrementAndGet() > cap) {
            slots.decrementAndGet();
            return OTHER;
        }
        String raced = admitted.putIfAbsent(value, value);
        if (raced != null) {
            slots.decrementAndGet(); // another thread admitted it first: give the slot back
            return raced;
        }
        return value;
    }

    /** Distinct values admitted so far (at most the cap). */
    int size() {
        return admitted.size();
    }

    int cap() {
        return cap;
    }

    @Override
    public String toString() {
        return name + " (" + size() + "/" + cap + ")";
    }
}
