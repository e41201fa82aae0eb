package io.clawgress.enforcement.policy;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A policy set cannot be used. Carries every problem found, sorted by file then position; the message is those
 * problems, one per line, ready to print as is.
 */
public final class PolicyException extends Exception {

    private static final long serialVersionUID = 1L;

    private final List<PolicyError> errors;

    public PolicyException(List<PolicyError> errors) {
        super(render(errors));
        this.errors = List.copyOf(errors);
    }

    /** Problems sorted by file, line, column; never empty. */
    public List<PolicyError> errors() {
        return errors;
    }

    private static String render(List<PolicyError> errors) {
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("errors: [] (expected: at least one error)");
        }
        return errors.stream().map(PolicyError::toString).collect(Collectors.joining("\n"));
    }
}
