package io.clawgress.enforcement.policy.scenario;

import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;

import java.util.Objects;

/**
 * One named case of a scenarios file: a flow, optionally the identity it carries, and the decision expected.
 *
 * @param name     unique in its file
 * @param file     the scenarios file, as named to the parser
 * @param line     1-based line where the scenario starts
 * @param facts    the flow: source, original destination and what its first bytes claim
 * @param identity the identity established another way (mTLS, JWT, API key), or {@code null} to resolve the source
 *                 through the policy's subnet bindings as the gateway does
 * @param expect   what the decision must be
 */
public record Scenario(String name, String file, int line, FlowFacts facts, Identity identity, Expectation expect) {

    public Scenario {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(facts, "facts");
        Objects.requireNonNull(expect, "expect");
    }

    /** {@code FILE:LINE}, for output that points back at the scenario. */
    public String where() {
        return file + ":" + line;
    }
}
