package io.clawgress.api;

/**
 * Decides a flow. Called on a data-plane event loop: implementations must not block, must not throw for
 * any input, and read their policy snapshot once per call.
 */
@FunctionalInterface
public interface FlowDecider {

    /** Decides a new connection or request: rate limits count it. */
    Decision decide(FlowFacts facts);

    /**
     * Decides without counting anything against rate limits: the re-evaluation of an open flow after a policy swap,
     * a plaintext HTTP connection's admission (the L7 gate then counts each of its requests, the first included),
     * or a hypothetical ("would a stronger identity pass?"). A limit that is already exceeded is still not reported
     * here; only {@link #decide} enforces limits.
     */
    default Decision recheck(FlowFacts facts) {
        return decide(facts);
    }
}
