package io.clawgress.enforcement.policy.scenario;

/**
 * One way a decision differs from its expectation.
 *
 * @param field    the expectation's key ({@code verdict}, {@code rule} ...)
 * @param expected what the scenario expects
 * @param actual   what the decision has ({@code none} when it has no such value)
 * @param note     a hint such as "no rule 'llm-api' in this policy set", or {@code null}
 */
public record Mismatch(String field, String expected, String actual, String note) {

    @Override
    public String toString() {
        return field + ": expected " + expected + ", got " + actual + (note == null ? "" : " (" + note + ")");
    }
}
