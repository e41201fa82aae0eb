package io.clawgress.enforcement.identity.jwt;

/** Quoting untrusted text into messages: printable ASCII only, bounded, so a token cannot forge log lines. */
final class JwtText {

    private static final int MAX_QUOTED = 64;

    private JwtText() {
    }

    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_QUOTED) + 8).append('"');
        int n = Math.min(s.length(), MAX_QUOTED);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c >= 0x20 && c <= 0x7e) {
                b.append(c);
            } else {
                b.append(String.format("\\u%04x", (int) c));
            }
        }
        if (s.length() > MAX_QUOTED) {
            b.append("...");
        }
        return b.append('"').toString();
    }
}
