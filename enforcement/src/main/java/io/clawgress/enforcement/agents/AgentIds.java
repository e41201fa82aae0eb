package io.clawgress.enforcement.agents;

import java.util.regex.Pattern;

/**
 * The id syntax of agents and of their team, project, environment and trust tier: the policy language's subject ids
 * ({@code PolicyParser}'s {@code SUBJECT_ID}, {@link io.clawgress.api.Identity}), so every registered agent can be
 * named in a policy's {@code subjects} and in an identity binding.
 */
public final class AgentIds {

    /** 1-128 characters of {@code A-Z a-z 0-9 . _ : -}, starting with a letter or digit. */
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    /** What {@link #ID} allows, for error messages. */
    public static final String EXPECTED = "1-128 characters of A-Z a-z 0-9 . _ : -, starting with a letter or digit";

    private AgentIds() {
    }

    /** Whether {@code value} is a well-formed id; false for null. */
    public static boolean isValid(String value) {
        return value != null && value.length() <= 128 && ID.matcher(value).matches();
    }

    /**
     * Checks an id.
     *
     * @param nullable whether null is allowed (an unset team, project, environment or trust tier)
     * @throws IllegalArgumentException naming {@code field}, what was found and what is allowed
     */
    static void require(String field, String value, boolean nullable) {
        if (value == null) {
            if (nullable) {
                return;
            }
            throw new IllegalArgumentException(field + ": null (expected: an id, " + EXPECTED + ")");
        }
        if (!isValid(value)) {
            throw new IllegalArgumentException(field + ": " + Text.quote(value) + " (expected: " + EXPECTED + ")");
        }
    }
}
