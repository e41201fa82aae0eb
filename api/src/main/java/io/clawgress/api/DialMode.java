package io.clawgress.api;

/** How a relay to a named destination picks the address it dials (DESIGN.md §3 step 6a). */
public enum DialMode {
    /** Dial an address the gateway itself resolved for the name, on the original port (the default). */
    RESOLVED("resolved"),
    /** Dial the original address, but only if it is in the gateway's answer set for the name. */
    ORIGINAL_IF_RESOLVED("original_if_resolved"),
    /** Dial the original address: the rule matched the address, not a name. */
    ORIGINAL("original");

    private final String code;

    DialMode(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }

    /** Parses a config value; {@code null} when unknown. */
    public static DialMode fromCode(String code) {
        for (DialMode m : values()) {
            if (m.code.equals(code)) {
                return m;
            }
        }
        return null;
    }
}
