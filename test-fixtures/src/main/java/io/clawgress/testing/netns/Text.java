package io.clawgress.testing.netns;

/** Small string helpers for failure messages. */
final class Text {

    private Text() {
    }

    /** The last {@code max} characters of {@code s}, marked as cut when longer. */
    static String tail(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        return "[... " + (s.length() - max) + " chars cut ...]" + s.substring(s.length() - max);
    }
}
