package io.clawgress.enforcement.net;

import java.net.IDN;
import java.util.Locale;
import java.util.Objects;

/**
 * A host name a rule allows or denies: exact ({@code api.example.com}) or subdomains only ({@code *.example.com},
 * which does not match {@code example.com} itself). Internationalised names are normalised to A-labels (punycode),
 * so a rule and an SNI compare in the same form. A bare {@code *} and wildcards anywhere but the first label are
 * refused: a rule must name what it allows.
 */
public final class HostPattern {

    private final String text;
    private final String exact;
    private final String suffix;

    private HostPattern(String text, String exact, String suffix) {
        this.text = text;
        this.exact = exact;
        this.suffix = suffix;
    }

    /**
     * @throws IllegalArgumentException with a message saying what was expected
     */
    public static HostPattern parse(String raw) {
        Objects.requireNonNull(raw, "raw");
        String s = raw.trim();
        boolean wildcard = s.startsWith("*.");
        String name = wildcard ? s.substring(2) : s;
        if (name.isEmpty() || name.contains("*")) {
            throw new IllegalArgumentException("'" + raw + "' (expected: a host name, or *.domain for its subdomains;"
                    + " never a bare *)");
        }
        String ascii = toAscii(name, raw);
        if (!wildcard && isIpLiteral(ascii)) {
            throw new IllegalArgumentException("'" + raw + "' is an IP address (expected: a host name; use"
                    + " destinations for addresses)");
        }
        return wildcard ? new HostPattern("*." + ascii, null, "." + ascii) : new HostPattern(ascii, ascii, null);
    }

    /** A-label form of a host name, lower case, no trailing dot; validated as LDH labels (RFC 1123 §2.1). */
    static String toAscii(String name, String raw) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        String ascii;
        try {
            ascii = IDN.toASCII(n, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + raw + "' (expected: a valid host name: " + e.getMessage() + ")");
        }
        if (ascii.isEmpty() || ascii.length() > 253) {
            throw new IllegalArgumentException("'" + raw + "' (expected: a host name of 1..253 characters)");
        }
        for (String label : ascii.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                throw new IllegalArgumentException("'" + raw + "' (expected: labels of 1..63 characters)");
            }
        }
        return ascii;
    }

    private static boolean isIpLiteral(String s) {
        return s.matches("\\d{1,3}(\\.\\d{1,3}){3}") || s.contains(":");
    }

    /** Whether {@code host} (already lower case A-labels, as the peek stage yields it) is matched. */
    public boolean matches(String host) {
        if (host == null) {
            return false;
        }
        return exact != null ? exact.equals(host) : host.length() > suffix.length() && host.endsWith(suffix);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostPattern h && h.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
