package io.clawgress.intercept.ca;

import java.util.Objects;

/** What {@link AgentIdentities#identify} concluded: an agent id, or why there is none. */
public sealed interface AgentIdentityResult {

    /** Where the agent id came from. */
    enum Source {
        /** The URI subjectAltName {@code spiffe://<trust-domain>/agent/<id>}. */
        SPIFFE_ID,
        /** The subject CN (the certificate has no SPIFFE ID). */
        COMMON_NAME
    }

    /**
     * The certificate chains to the agents' CA and names this agent.
     *
     * @param agentId the agent id
     * @param source  which field it came from
     */
    record Identified(String agentId, Source source) implements AgentIdentityResult {
        public Identified {
            AgentIds.requireAgentId("agentId", agentId);
            Objects.requireNonNull(source, "source");
        }
    }

    /**
     * No identity.
     *
     * @param failure the stable reason
     * @param detail  a sentence for logs and operators; may quote certificate fields, so not for the agent
     */
    record Rejected(ClientCertFailure failure, String detail) implements AgentIdentityResult {
        public Rejected {
            Objects.requireNonNull(failure, "failure");
            Objects.requireNonNull(detail, "detail");
        }

        /** The failure's stable code. */
        public String reason() {
            return failure.code();
        }
    }
}
