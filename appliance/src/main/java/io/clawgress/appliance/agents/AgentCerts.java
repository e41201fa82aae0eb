package io.clawgress.appliance.agents;

import io.clawgress.enforcement.agents.AgentDirectory;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.intercept.ca.AgentCertIssuer;
import io.clawgress.intercept.ca.AgentCertificate;
import io.clawgress.intercept.ca.CaException;
import io.clawgress.intercept.ca.InterceptCa;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Agent client certificates from the agents' CA in {@code state_dir/intercept-ca} (created by the first use), as
 * {@code clawgressctl agent cert} issues them offline and {@code POST /v1/agents/{id}/cert} online: one code path,
 * so both give the same certificate for the same request.
 *
 * <p>Threads: blocking (disk, key generation): the CLI or an admin worker thread, never an event loop. Calls are
 * serialised so two concurrent first uses do not race to create the CA.
 */
public final class AgentCerts {

    /** How long a certificate is valid when the caller does not say (never past the CA). */
    public static final Duration DEFAULT_VALIDITY = Duration.ofDays(90);

    /** An agent id usable as a SPIFFE ID path segment (SPIFFE ID spec §2.2): a registry id without ':'. */
    private static final Pattern SPIFFE_SEGMENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private static final Object LOCK = new Object();

    private AgentCerts() {
    }

    /**
     * A certificate just issued.
     *
     * @param certificate the key, certificate and CA
     * @param caCreated   whether this call generated the agents' CA (gateways must then be given it)
     * @param caDir       {@code state_dir/intercept-ca}
     */
    public record Issued(AgentCertificate certificate, boolean caCreated, Path caDir) {
        public Issued {
            Objects.requireNonNull(certificate, "certificate");
            Objects.requireNonNull(caDir, "caDir");
        }
    }

    /** Issuing failed: a bad request (an id or trust domain that cannot be used) or an unusable CA. */
    public static final class IssueException extends Exception {

        private static final long serialVersionUID = 1L;

        /** What went wrong: the request, or the CA on disk. */
        public enum Kind {
            /** The trust domain is not a SPIFFE trust domain. */
            TRUST_DOMAIN,
            /** The agent id cannot be a SPIFFE ID path segment (a ':'), or the validity is not positive. */
            REQUEST,
            /** The agents' CA cannot be read or created. */
            CA
        }

        private final Kind kind;

        IssueException(Kind kind, String message, Throwable cause) {
            super(message, cause);
            this.kind = kind;
        }

        public Kind kind() {
            return kind;
        }
    }

    /** Why an agent may not be given a credential. */
    public static final class Unusable extends Exception {

        private static final long serialVersionUID = 1L;

        private final boolean unknown;

        Unusable(boolean unknown, String message) {
            super(message);
            this.unknown = unknown;
        }

        /** Not registered (rather than disabled). */
        public boolean unknown() {
            return unknown;
        }
    }

    /**
     * Issues a client certificate for {@code agentId} with URI SAN {@code spiffe://trustDomain/agent/agentId}.
     * The message of a {@link IssueException.Kind#TRUST_DOMAIN} failure starts with the quoted trust domain, for the
     * caller to put its option or field name before it.
     */
    public static Issued issue(Path stateDir, String trustDomain, String agentId, Duration validFor, Clock clock)
            throws IssueException {
        Path caDir = InterceptCa.directoryIn(stateDir);
        if (agentId == null || !SPIFFE_SEGMENT.matcher(agentId).matches()) {
            // Checked before the CA is opened, so a refused request never creates it. A registry id may contain
            // ':', which a SPIFFE ID path segment may not (SPIFFE ID spec §2.2).
            throw new IssueException(IssueException.Kind.REQUEST, "agent id " + AgentInput.quote(String.valueOf(
                    agentId)) + " cannot be put in a certificate (expected: 1-128 of A-Z a-z 0-9 . _ -, starting"
                    + " with a letter or digit: a SPIFFE ID path segment has no ':')", null);
        }
        synchronized (LOCK) {
            AgentCertIssuer issuer;
            try {
                issuer = AgentCertIssuer.openOrCreate(caDir, trustDomain, clock);
            } catch (IllegalArgumentException e) {
                throw new IssueException(IssueException.Kind.TRUST_DOMAIN, AgentInput.quote(String.valueOf(
                        trustDomain)) + ": " + e.getMessage(), e);
            } catch (CaException e) {
                throw new IssueException(IssueException.Kind.CA, e.getMessage(), e);
            }
            try {
                return new Issued(issuer.issue(agentId, validFor), issuer.created(), caDir);
            } catch (IllegalArgumentException e) {
                throw new IssueException(IssueException.Kind.REQUEST, "agent id " + AgentInput.quote(agentId)
                        + " cannot be put in a certificate: " + e.getMessage(), e);
            }
        }
    }

    /**
     * The agent a credential is for, from {@code directory}: a disabled agent is refused, and so is an unknown one
     * unless {@code allowUnregistered} (then null).
     *
     * @param skipOption how the caller skips the registration check ({@code --allow-unregistered}), for the message
     */
    public static AgentRecord usable(AgentDirectory directory, Path registryDir, String agentId,
                                     boolean allowUnregistered, String skipOption) throws Unusable {
        AgentRecord agent = directory.lookup(agentId);
        if (agent == null) {
            if (allowUnregistered) {
                return null;
            }
            throw new Unusable(true, registryDir + ": not_found: agent '" + agentId + "' (" + directory.size()
                    + " registered; 'clawgressctl agent add " + agentId + "' registers it, " + skipOption
                    + " skips this check)");
        }
        if (!agent.active()) {
            throw new Unusable(false, disabled(agent));
        }
        return agent;
    }

    /** The refusal for a disabled agent. */
    public static String disabled(AgentRecord agent) {
        return "agent " + agent.agentId() + " is disabled" + (agent.statusReason() == null ? ""
                : " (reason: " + agent.statusReason() + ")") + " (expected: an active agent; 'clawgressctl agent"
                + " enable " + agent.agentId() + "' enables it)";
    }
}
