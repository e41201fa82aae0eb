package io.clawgress.tproxy.l7;

import java.util.ArrayList;
import java.util.List;

/**
 * The field lines of one head or trailer section, in their original order, with their original name case: an
 * immutable view over the checked head bytes (one array per message, owned by this object, never exposed).
 * Strings are made only when asked for. Values are without the optional whitespace around them (RFC 9112 §5.1);
 * obs-text bytes (0x80-0xFF, RFC 9110 §5.5) read as ISO-8859-1 characters.
 *
 * <p>Lookups compare names ignoring ASCII case and take the name in lower case; they are linear in the number of
 * fields (at most a few hundred). Immutable, so any thread may read it.
 */
public final class HttpFields {

    /** No fields. */
    public static final HttpFields EMPTY = new HttpFields(new byte[0], new int[0], 0);

    private final byte[] bytes;
    /** Per field: name start, name end, value start, value end (offsets into {@link #bytes}). */
    private final int[] offsets;
    private final int size;

    HttpFields(byte[] bytes, int[] offsets, int size) {
        this.bytes = bytes;
        this.offsets = offsets;
        this.size = size;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** The name of field {@code i} as sent. */
    public String name(int i) {
        check(i);
        return HttpSyntax.latin1(bytes, offsets[4 * i], offsets[4 * i + 1]);
    }

    /** The value of field {@code i}, without surrounding OWS. */
    public String value(int i) {
        check(i);
        return HttpSyntax.latin1(bytes, offsets[4 * i + 2], offsets[4 * i + 3]);
    }

    /** Whether field {@code i} is named {@code lowerCaseName} (ASCII case ignored); allocates nothing. */
    public boolean isNamed(int i, String lowerCaseName) {
        check(i);
        return HttpSyntax.equalsIgnoreCase(bytes, offsets[4 * i], offsets[4 * i + 1], lowerCaseName);
    }

    /** The value of the first field named {@code lowerCaseName}, or null. */
    public String get(String lowerCaseName) {
        int i = indexOf(lowerCaseName, 0);
        return i < 0 ? null : value(i);
    }

    /** The values of every field named {@code lowerCaseName}, in order. */
    public List<String> getAll(String lowerCaseName) {
        List<String> values = new ArrayList<>(2);
        for (int i = indexOf(lowerCaseName, 0); i >= 0; i = indexOf(lowerCaseName, i + 1)) {
            values.add(value(i));
        }
        return values;
    }

    /** How many field lines are named {@code lowerCaseName}. */
    public int count(String lowerCaseName) {
        int n = 0;
        for (int i = indexOf(lowerCaseName, 0); i >= 0; i = indexOf(lowerCaseName, i + 1)) {
            n++;
        }
        return n;
    }

    /** The index of the first field named {@code lowerCaseName} at or after {@code from}, or -1. */
    public int indexOf(String lowerCaseName, int from) {
        for (int i = Math.max(from, 0); i < size; i++) {
            if (HttpSyntax.equalsIgnoreCase(bytes, offsets[4 * i], offsets[4 * i + 1], lowerCaseName)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Whether any field named {@code lowerCaseName} has {@code lowerCaseToken} as an element of its comma-separated
     * list value (RFC 9110 §5.6.1), ignoring ASCII case and OWS: {@code Connection: keep-alive, Close} has
     * {@code close}.
     */
    public boolean hasToken(String lowerCaseName, String lowerCaseToken) {
        for (int i = indexOf(lowerCaseName, 0); i >= 0; i = indexOf(lowerCaseName, i + 1)) {
            int from = offsets[4 * i + 2];
            int end = offsets[4 * i + 3];
            while (from <= end) {
                int comma = HttpSyntax.indexOf(bytes, from, end, ',');
                int to = comma < 0 ? end : comma;
                int s = from;
                int e = to;
                while (s < e && HttpSyntax.isOws(bytes[s])) {
                    s++;
                }
                while (e > s && HttpSyntax.isOws(bytes[e - 1])) {
                    e--;
                }
                if (HttpSyntax.equalsIgnoreCase(bytes, s, e, lowerCaseToken)) {
                    return true;
                }
                from = to + 1;
            }
        }
        return false;
    }

    // ---- raw access for the framers and writers of this package ----

    byte[] bytes() {
        return bytes;
    }

    int nameStart(int i) {
        return offsets[4 * i];
    }

    int nameEnd(int i) {
        return offsets[4 * i + 1];
    }

    int valueStart(int i) {
        return offsets[4 * i + 2];
    }

    int valueEnd(int i) {
        return offsets[4 * i + 3];
    }

    private void check(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("field: " + i + " (expected: 0.." + (size - 1) + ")");
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder().append('[');
        for (int i = 0; i < size; i++) {
            sb.append(i == 0 ? "" : ", ").append(name(i)).append(": ").append(value(i));
        }
        return sb.append(']').toString();
    }
}
