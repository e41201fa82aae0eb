package io.clawgress.api;

/**
 * Decides a flow. Called on a data-plane event loop: implementations must not block, must not throw for
 * any input, and read their policy snapshot once per call.
 */
@FunctionalInterface
public interface FlowDecider {
    Decision decide(FlowFacts facts);
}
