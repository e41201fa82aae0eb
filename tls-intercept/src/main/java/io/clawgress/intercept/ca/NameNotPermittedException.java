package io.clawgress.intercept.ca;

/**
 * A leaf was asked for a name the intermediate does not cover: the active bundle does not intercept it. Nothing is
 * minted. On the data path this means the flow was sent to interception under a bundle that has since changed; the
 * flow must fail closed.
 */
public final class NameNotPermittedException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String name;

    public NameNotPermittedException(String name, InterceptNames permitted) {
        super("'" + name + "' is not among the intercepted names " + permitted.patterns()
                + " (expected: a name the intermediate's nameConstraints permit)");
        this.name = name;
    }

    /** The refused name. */
    public String name() {
        return name;
    }
}
