package io.clawgress.appliance.docs;

import java.util.ArrayList;
import java.util.List;

/**
 * Escaping for man(7) troff source. Text from the command tree is never trusted to be troff-safe: a backslash is an
 * escape, a line starting with {@code .} or {@code '} is a request, {@code -} must be {@code \-} to stay a minus
 * (so an option copied from the rendered page still works), and non-ASCII needs a named glyph.
 */
final class Troff {

    private Troff() {
    }

    /**
     * {@code s} escaped for use inside a text line or a quoted macro argument: backslash, hyphen, double quote,
     * non-ASCII; control characters become spaces. Does not protect a leading control character: see {@link #line}.
     */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            switch (c) {
                case '\\' -> b.append("\\e");
                case '-' -> b.append("\\-");
                case '"' -> b.append("\\(dq");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        b.append(' ');
                    } else if (c > 0x7e) {
                        b.append(String.format("\\[u%04X]", c));
                    } else {
                        b.append((char) c);
                    }
                }
            }
        }
        return b.toString();
    }

    /**
     * Escaped text as input lines: one per line of {@code s}, leading blanks removed (they would force a break),
     * blank lines dropped (they would print one), and a line that would start with a control character protected
     * with {@code \&}.
     */
    static List<String> lines(String s) {
        List<String> out = new ArrayList<>();
        for (String raw : s.split("\\R")) {
            String t = raw.strip();
            if (!t.isEmpty()) {
                out.add(line(escape(t)));
            }
        }
        return out;
    }

    /** An already escaped input line, protected when it starts with {@code .} or {@code '}. */
    static String line(String escaped) {
        return escaped.startsWith(".") || escaped.startsWith("'") ? "\\&" + escaped : escaped;
    }

    static String bold(String s) {
        return "\\fB" + escape(s) + "\\fR";
    }

    static String italic(String s) {
        return "\\fI" + escape(s) + "\\fR";
    }

    /** A quoted macro argument. */
    static String arg(String s) {
        return "\"" + escape(s) + "\"";
    }
}
