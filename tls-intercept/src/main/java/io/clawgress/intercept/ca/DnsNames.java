package io.clawgress.intercept.ca;

import java.net.IDN;
import java.util.Locale;

/** Host name syntax shared by the intercept names and the SNIs the minter is asked for. */
final class DnsNames {

    private static final int MAX_NAME = 253;
    private static final int MAX_LABEL = 63;

    private DnsNames() {
    }

    /**
     * The A-label, lower-case form of a host name without a trailing dot, validated as LDH labels (RFC 1123 §2.1,
     * RFC 5890 §2.3.2.1); an IPv4 or IPv6 literal is refused (RFC 6066 §3: SNI carries host names only).
     *
     * @param field named in the message
     * @throws IllegalArgumentException with a message saying what was expected
     */
    static String normalize(String field, String raw) {
        if (raw == null) {
            throw new IllegalArgumentException(field + ": null (expected: a host name)");
        }
        String n = raw.endsWith(".") ? raw.substring(0, raw.length() - 1) : raw;
        String ascii;
        if (isAscii(n)) {
            // The common case (the peek stage hands over A-labels): the LDH check below is all IDNA would do.
            ascii = n.toLowerCase(Locale.ROOT);
        } else {
            try {
                ascii = IDN.toASCII(n, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(field + ": '" + raw + "' (expected: a valid host name: "
                        + e.getMessage() + ")", e);
            }
        }
        if (ascii.isEmpty() || ascii.length() > MAX_NAME) {
            throw new IllegalArgumentException(field + ": '" + raw + "' (expected: a host name of 1.."
                    + MAX_NAME + " characters)");
        }
        if (!isLdhName(ascii)) {
            throw new IllegalArgumentException(field + ": '" + raw
                    + "' (expected: labels of 1..63 letters, digits and inner hyphens)");
        }
        if (isIpv4Literal(ascii)) {
            // IPv6 literals contain ':' and never pass the LDH check; IPv4 literals do.
            throw new IllegalArgumentException(field + ": '" + raw + "' is an IP address (expected: a host name)");
        }
        return ascii;
    }

    /** Whether {@code name} equals {@code domain} or is one of its subdomains (label-aligned). */
    static boolean isAtOrUnder(String name, String domain) {
        return name.equals(domain) || isStrictlyUnder(name, domain);
    }

    /** Whether {@code name} is a subdomain of {@code domain}, at any depth, but not {@code domain} itself. */
    static boolean isStrictlyUnder(String name, String domain) {
        return name.length() > domain.length() + 1 && name.endsWith(domain)
                && name.charAt(name.length() - domain.length() - 1) == '.';
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** Lower-case LDH labels of 1..63 characters separated by single dots; no hyphen at either end of a label. */
    private static boolean isLdhName(String s) {
        int labelStart = 0;
        for (int i = 0; i <= s.length(); i++) {
            char c = i < s.length() ? s.charAt(i) : '.';
            if (c == '.') {
                int len = i - labelStart;
                if (len == 0 || len > MAX_LABEL || s.charAt(labelStart) == '-' || s.charAt(i - 1) == '-') {
                    return false;
                }
                labelStart = i + 1;
            } else if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** Four all-digit labels, as inet_aton-style parsers would read an address (RFC 6066 §3 forbids literals). */
    private static boolean isIpv4Literal(String s) {
        int labels = 1;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.') {
                labels++;
            } else if (c < '0' || c > '9') {
                return false;
            }
        }
        return labels == 4;
    }
}
