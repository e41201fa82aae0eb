package io.clawgress.intercept.ca;

import java.util.regex.Pattern;

/** Syntax of agent ids and SPIFFE trust domains in agent certificates. */
final class AgentIds {

    static final String SPIFFE_SCHEME = "spiffe://";
    static final String AGENT_PATH = "/agent/";

    /**
     * Agent ids as the registry knows them (io.clawgress.api.Identity), minus ':' which a SPIFFE ID path segment
     * may not hold (SPIFFE ID spec §2.2: letters, digits, '.', '-', '_').
     */
    private static final Pattern AGENT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    /** SPIFFE ID spec §2.1: lower-case letters, digits, '.', '-', '_'. */
    private static final Pattern TRUST_DOMAIN = Pattern.compile("[a-z0-9._-]{1,255}");

    private AgentIds() {
    }

    static boolean isAgentId(String s) {
        return s != null && AGENT_ID.matcher(s).matches();
    }

    static String requireAgentId(String field, String s) {
        if (!isAgentId(s)) {
            throw new IllegalArgumentException(field + ": '" + s + "' (expected: 1-128 of A-Z a-z 0-9 . _ -,"
                    + " starting with a letter or digit; an agent SPIFFE ID path segment)");
        }
        return s;
    }

    static String requireTrustDomain(String s) {
        if (s == null || !TRUST_DOMAIN.matcher(s).matches()) {
            throw new IllegalArgumentException("trustDomain: '" + s + "' (expected: 1-255 of a-z 0-9 . _ -, as"
                    + " the SPIFFE ID spec §2.1 allows, e.g. 'agents.example.com')");
        }
        return s;
    }

    static String spiffeId(String trustDomain, String agentId) {
        return SPIFFE_SCHEME + trustDomain + AGENT_PATH + agentId;
    }
}
