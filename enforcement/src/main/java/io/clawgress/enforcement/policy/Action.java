package io.clawgress.enforcement.policy;

/** What a matching rule does. */
public enum Action {
    ALLOW("allow"),
    DENY("deny");

    private final String code;

    Action(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
