package io.clawgress.enforcement.agents;

/** Free text an operator types (a note, a reason): checked so it prints on one line and cannot drive a terminal. */
final class Text {

    /** Characters of a note or status reason. */
    static final int MAX_CHARS = 1024;
    private static final int MAX_QUOTED = 80;

    private Text() {
    }

    /**
     * @throws IllegalArgumentException if {@code value} is blank, longer than {@link #MAX_CHARS}, holds a control
     *                                  character (it could rewrite a terminal line) or an unpaired surrogate (it has
     *                                  no UTF-8 form, so it would not read back equal)
     */
    static void require(String field, String value, boolean nullable) {
        if (value == null) {
            if (nullable) {
                return;
            }
            throw new NullPointerException(field);
        }
        if (value.isBlank() || value.length() > MAX_CHARS) {
            throw new IllegalArgumentException(field + ": " + value.length() + " chars" + (value.isBlank() ? ", blank"
                    : "") + " (expected: non-blank text, <= " + MAX_CHARS + " chars)");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean pairedSurrogate = Character.isHighSurrogate(c) && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1));
            if (pairedSurrogate) {
                i++;
            } else if (Character.isISOControl(c) || Character.isSurrogate(c)) {
                throw new IllegalArgumentException(field + ": " + String.format("U+%04X", (int) c) + " at index " + i
                        + " (expected: one line of printable text, no control characters)");
            }
        }
    }

    /** {@code 'value'}, with control characters escaped and long values cut, for error messages. */
    static String quote(String value) {
        StringBuilder b = new StringBuilder("'");
        int n = Math.min(value.length(), MAX_QUOTED);
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (Character.isISOControl(c) || Character.isSurrogate(c)) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        b.append(value.length() > n ? "'... (" + value.length() + " chars)" : "'");
        return b.toString();
    }
}
