package io.clawgress.appliance.apparmor;

import java.util.regex.Pattern;

/**
 * An AppArmor path glob (apparmor.d(5) "Globbing"), turned into a Java regex the way apparmor_parser turns it into
 * its own: {@code *} is any run of characters but {@code /}, {@code **} any run including {@code /}, {@code ?} one
 * character but {@code /}, {@code {a,b}} alternatives (nested), {@code [abc]}, {@code [a-z]} and {@code [^abc]}
 * character classes. Right after a {@code /}, {@code *} and {@code **} need at least one character and it is not a
 * {@code /} (parser_regex.c), so {@code /dir/*} and {@code /dir/**} do not match the directory {@code /dir/} itself.
 * Variables must be expanded before ({@link AppArmorProfile} does).
 */
public final class AppArmorGlob {

    private final String glob;
    private final Pattern pattern;

    private AppArmorGlob(String glob, Pattern pattern) {
        this.glob = glob;
        this.pattern = pattern;
    }

    /**
     * @throws IllegalArgumentException for a glob that is not absolute, has unbalanced braces or brackets, or still
     *                                  contains a variable
     */
    public static AppArmorGlob of(String glob) {
        if (!glob.startsWith("/")) {
            throw new IllegalArgumentException("glob: '" + glob + "' (expected: an absolute path pattern)");
        }
        if (glob.contains("@{")) {
            throw new IllegalArgumentException("glob: '" + glob + "' (expected: variables expanded)");
        }
        StringBuilder re = new StringBuilder();
        int end = translate(glob, 0, re, false);
        if (end != glob.length()) {
            throw new IllegalArgumentException("glob: '" + glob + "': unbalanced '}' at " + end);
        }
        return new AppArmorGlob(glob, Pattern.compile(re.toString()));
    }

    public boolean matches(String path) {
        return pattern.matcher(path).matches();
    }

    public String glob() {
        return glob;
    }

    @Override
    public String toString() {
        return glob;
    }

    /** Translates from {@code i} until the end, or until the '}' or ',' that closes an alternative; returns where. */
    private static int translate(String g, int i, StringBuilder re, boolean inBraces) {
        while (i < g.length()) {
            char c = g.charAt(i);
            char prev = i > 0 ? g.charAt(i - 1) : 0;
            switch (c) {
                case '*' -> {
                    boolean twin = i + 1 < g.length() && g.charAt(i + 1) == '*';
                    if (prev == '/') {
                        re.append(twin ? "[^/\\x00][^\\x00]*" : "[^/\\x00][^/\\x00]*");
                    } else {
                        re.append(twin ? "[^\\x00]*" : "[^/\\x00]*");
                    }
                    i += twin ? 2 : 1;
                    while (i < g.length() && g.charAt(i) == '*') {
                        i++; // *** is **
                    }
                }
                case '?' -> {
                    re.append("[^/\\x00]");
                    i++;
                }
                case '[' -> {
                    int close = g.indexOf(']', i + 2);
                    if (close < 0) {
                        throw new IllegalArgumentException("glob: '" + g + "': unclosed '[' at " + i);
                    }
                    String body = g.substring(i + 1, close);
                    re.append('[');
                    if (body.startsWith("^")) {
                        re.append('^');
                        body = body.substring(1);
                    }
                    for (int k = 0; k < body.length(); k++) {
                        char b = body.charAt(k);
                        boolean range = b == '-' && k > 0 && k < body.length() - 1;
                        if (!range && "\\[]^&-".indexOf(b) >= 0) {
                            re.append('\\');
                        }
                        re.append(b);
                    }
                    re.append(']');
                    i = close + 1;
                }
                case '{' -> {
                    re.append("(?:");
                    i++;
                    while (true) {
                        i = translate(g, i, re, true);
                        if (i >= g.length()) {
                            throw new IllegalArgumentException("glob: '" + g + "': unclosed '{'");
                        }
                        if (g.charAt(i) == ',') {
                            re.append('|');
                            i++;
                        } else { // '}'
                            re.append(')');
                            i++;
                            break;
                        }
                    }
                }
                case ',', '}' -> {
                    if (inBraces) {
                        return i;
                    }
                    if (c == '}') {
                        return i;
                    }
                    re.append(',');
                    i++;
                }
                case '\\' -> {
                    if (i + 1 >= g.length()) {
                        throw new IllegalArgumentException("glob: '" + g + "': trailing backslash");
                    }
                    re.append(Pattern.quote(String.valueOf(g.charAt(i + 1))));
                    i += 2;
                }
                default -> {
                    re.append(Pattern.quote(String.valueOf(c)));
                    i++;
                }
            }
        }
        return i;
    }
}
