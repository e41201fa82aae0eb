package io.clawgress.appliance.agents;

import io.clawgress.enforcement.agents.AgentIds;
import io.clawgress.enforcement.agents.AgentRecord;

/**
 * The checks of what an operator types for an agent (an id, a note, a reason), with the same messages offline
 * ({@code clawgressctl agent ... --state-dir}) and in the admin API's 400 answers.
 */
public final class AgentInput {

    private static final int MAX_QUOTED = 200;

    private AgentInput() {
    }

    /**
     * Checks an id: {@code what 'value' (expected: ...)} when it is not one.
     *
     * @throws IllegalArgumentException with that message
     */
    public static String requireId(String what, String value) {
        if (!AgentIds.isValid(value)) {
            throw new IllegalArgumentException(what + " " + quote(String.valueOf(value)) + " (expected: "
                    + AgentIds.EXPECTED + ")");
        }
        return value;
    }

    /** {@link #requireId}, null allowed. */
    public static String optionalId(String what, String value) {
        return value == null ? null : requireId(what, value);
    }

    /**
     * Checks a note or reason as the registry stores it (one line of printable text, at most 1024 chars); null
     * allowed.
     *
     * @throws IllegalArgumentException naming {@code field} and what is allowed
     */
    public static String requireText(String field, String value) {
        AgentRecord.requireText(field, value);
        return value;
    }

    /** {@code 'value'} with control characters escaped, so an error message cannot drive the terminal. */
    public static String quote(String value) {
        StringBuilder b = new StringBuilder("'");
        value.chars().limit(MAX_QUOTED).forEach(c -> {
            if (Character.isISOControl(c)) {
                b.append(String.format("\\u%04x", c));
            } else {
                b.append((char) c);
            }
        });
        return b.append(value.length() > MAX_QUOTED ? "'..." : "'").toString();
    }
}
