package io.clawgress.enforcement.activation;

import java.util.Objects;

/**
 * What became of one candidate bundle.
 *
 * @param outcome    activated, unchanged (the same bytes are already active) or rejected
 * @param revision   the bundle's revision when known (it is not before the signature verifies), else 0
 * @param kid        the signer's key id when known, else {@code null}
 * @param source     where the candidate came from
 * @param reasonCode stable snake_case code of a rejection ({@code digest_mismatch}, {@code policy_invalid},
 *                   {@code store_failed} ...), or {@code null}
 * @param message    an operator-readable explanation (multi-line for policy errors), or {@code null}
 */
public record ActivationResult(Outcome outcome, long revision, String kid, String source, String reasonCode,
                               String message) {

    public enum Outcome {
        ACTIVATED("activated"),
        ROLLED_BACK("rolled_back"),
        UNCHANGED("unchanged"),
        REJECTED("rejected");

        private final String code;

        Outcome(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    public ActivationResult {
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(source, "source");
        if (outcome == Outcome.REJECTED && reasonCode == null) {
            throw new IllegalArgumentException("reasonCode: null on a rejection (expected: a code)");
        }
    }

    public boolean accepted() {
        return outcome != Outcome.REJECTED;
    }

    static ActivationResult rejected(String source, long revision, String kid, String code, String message) {
        return new ActivationResult(Outcome.REJECTED, revision, kid, source, code, message);
    }

    @Override
    public String toString() {
        return outcome.code() + (revision > 0 ? " revision " + revision : "") + (kid != null ? " (kid " + kid + ")" : "")
                + " from " + source + (reasonCode != null ? ": " + reasonCode : "")
                + (message != null ? ": " + message : "");
    }
}
