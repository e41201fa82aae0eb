package io.clawgress.api;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What to do with a flow, always with the rule that decided it and a human-readable reason.
 * Switch over it without a {@code default} branch so the compiler finds a missed case.
 */
public sealed interface Verdict {

    /** The rule id that decided, or a fixed pseudo-rule such as {@code default} or {@code loop_guard}. */
    String ruleId();

    /** Why, in words an operator can act on. */
    String reason();

    /** The stable verdict name used in records: {@code relay}, {@code intercept} or {@code deny}. */
    String name();

    /**
     * Splice the flow. With a {@code host}, the relay resolves it itself and dials per {@code dial}; without,
     * it dials {@code upstream}.
     *
     * @param upstream the original destination (address and port)
     * @param host     the allowed host name the rule matched (SNI or Host), or {@code null} for an address rule
     * @param dial     how to pick the address to dial; {@link DialMode#ORIGINAL} exactly when {@code host} is null
     */
    record Relay(InetSocketAddress upstream, String host, DialMode dial, String ruleId, String reason)
            implements Verdict {
        public Relay {
            Objects.requireNonNull(upstream, "upstream");
            Objects.requireNonNull(dial, "dial");
            requireText("ruleId", ruleId);
            requireText("reason", reason);
            if ((host == null) != (dial == DialMode.ORIGINAL)) {
                throw new IllegalArgumentException("dial: " + dial.code() + " with host " + host
                        + " (expected: original exactly when there is no host)");
            }
        }

        /** A relay to the original address, decided on the address. */
        public Relay(InetSocketAddress upstream, String ruleId, String reason) {
            this(upstream, null, DialMode.ORIGINAL, ruleId, reason);
        }

        @Override
        public String name() {
            return "relay";
        }
    }

    /**
     * Terminate the agent's TLS to see its HTTP (DESIGN.md §3 step 6b): verify the upstream for {@code host} first,
     * present a minted certificate for it, then decide every request on its own. The connection-level verdict only
     * says the name is one the bundle intercepts; what passes is decided per request.
     *
     * @param upstream the original destination (address and port)
     * @param host     the SNI the rule matched: the name verified upstream and minted for
     * @param dial     how to pick the address to dial; never {@link DialMode#ORIGINAL} (there is always a name)
     */
    record Intercept(InetSocketAddress upstream, String host, DialMode dial, String ruleId, String reason)
            implements Verdict {
        public Intercept {
            Objects.requireNonNull(upstream, "upstream");
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(dial, "dial");
            requireText("ruleId", ruleId);
            requireText("reason", reason);
            if (dial == DialMode.ORIGINAL) {
                throw new IllegalArgumentException("dial: original for intercepted host " + host
                        + " (expected: resolved or original_if_resolved)");
            }
        }

        @Override
        public String name() {
            return "intercept";
        }
    }

    /** Refuse the flow; {@code termination} says how (policy, loop, limit ...). */
    record Deny(Termination termination, String ruleId, String reason) implements Verdict {
        public Deny {
            Objects.requireNonNull(termination, "termination");
            requireText("ruleId", ruleId);
            requireText("reason", reason);
        }

        @Override
        public String name() {
            return "deny";
        }
    }

    private static void requireText(String field, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(field + ": '" + value + "' (expected: non-blank text)");
        }
    }
}
