package io.clawgress.enforcement.policy;

/** Whether a policy's denials are enforced, or only reported ({@code would_deny}) while the flow passes. */
public enum Mode {
    ENFORCE("enforce"),
    REPORT("report");

    private final String code;

    Mode(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
