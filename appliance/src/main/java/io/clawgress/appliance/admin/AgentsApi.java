package io.clawgress.appliance.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.agents.AgentCerts;
import io.clawgress.appliance.agents.AgentInput;
import io.clawgress.appliance.agents.AgentJson;
import io.clawgress.appliance.agents.CaExport;
import io.clawgress.enforcement.agents.AgentDirectory;
import io.clawgress.enforcement.agents.AgentIds;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.agents.AgentRegistry;
import io.clawgress.enforcement.agents.AgentRegistryException;
import io.clawgress.enforcement.agents.AgentStatus;
import io.clawgress.intercept.ca.AgentCertificate;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The agent registry through the admin API (docs/admin-api.md#agents): what {@code clawgressctl agent ...} does
 * online. Reads answer the shapes of {@code agent list|show --json} ({@link AgentJson}); changes write the daemon's
 * own registry, whose watcher picks them up (a disabled agent's open flows are revoked), and the admin server
 * audits each one. Every handler runs on an admin worker thread: LMDB writes fsync, certificates need key
 * generation.
 */
public final class AgentsApi {

    static final List<String> ADD_FIELDS = List.of("agent_id", "team_id", "project_id", "environment", "trust_tier",
            "note");
    static final List<String> DISABLE_FIELDS = List.of("reason");
    static final List<String> CERT_FIELDS = List.of("trust_domain", "valid_for_seconds", "allow_unregistered");

    private final Supplier<AgentRegistry> registry;
    private final Path stateDir;
    private final String trustDomain;
    private final Clock clock;

    private AgentsApi(Supplier<AgentRegistry> registry, Path stateDir, String trustDomain, Clock clock) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.stateDir = Objects.requireNonNull(stateDir, "stateDir");
        this.trustDomain = Objects.requireNonNull(trustDomain, "trustDomain");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * Registers {@code GET /v1/agents}, {@code GET /v1/agents/{id}} and the change routes {@code POST /v1/agents}
     * ({@code agent.add}), {@code POST /v1/agents/{id}/disable|enable|cert} ({@code agent.disable},
     * {@code agent.enable}, {@code agent.cert}).
     *
     * @param registry    the daemon's open registry, or null when it runs without one (no policy configured)
     * @param stateDir    the gateway's state_dir: its {@code intercept-ca} holds the agents' CA
     * @param trustDomain the gateway's {@code identity.trust_domain}, put in the certificates' SPIFFE IDs
     * @param clock       the creation time of new agents and certificates
     */
    public static void register(AdminRoutes routes, Supplier<AgentRegistry> registry, Path stateDir,
                                String trustDomain, Clock clock) {
        AgentsApi api = new AgentsApi(registry, stateDir, trustDomain, clock);
        routes.read("GET", "/v1/agents", api::list)
                .read("GET", "/v1/agents/{id}", api::show)
                .change("POST", "/v1/agents", "agent.add", api::add)
                .change("POST", "/v1/agents/{id}/disable", "agent.disable", api::disable)
                .change("POST", "/v1/agents/{id}/enable", "agent.enable", api::enable)
                .change("POST", "/v1/agents/{id}/cert", "agent.cert", api::cert);
    }

    AdminResponse list(AdminRequest req) throws AdminException {
        AgentRegistry r = registry();
        return AdminResponse.ok(AgentJson.list(r.directory(), snapshot(r)));
    }

    AdminResponse show(AdminRequest req) throws AdminException {
        String id = id(req);
        AgentRegistry r = registry();
        AgentDirectory directory = snapshot(r);
        AgentRecord a = directory.lookup(id);
        if (a == null) {
            throw AdminException.notFound(r.directory() + ": not_found: agent '" + id + "' (" + directory.size()
                    + " registered)");
        }
        return AdminResponse.ok(AgentJson.show(r.directory(), directory.generation(), a));
    }

    /** {@code POST /v1/agents}: registers a new, active agent; 201 with it, 409 when the id is taken. */
    AdminResponse add(AdminRequest req) throws AdminException {
        ObjectNode body = body(req, ADD_FIELDS);
        AgentRecord agent;
        try {
            String id = string(body, "agent_id");
            if (id == null) {
                throw AdminException.badRequest("agent_id: missing (expected: " + AgentIds.EXPECTED + ")");
            }
            AgentInput.requireId("agent_id", id);
            agent = AgentRecord.newAgent(id, AgentInput.optionalId("team_id", string(body, "team_id")),
                    AgentInput.optionalId("project_id", string(body, "project_id")),
                    AgentInput.optionalId("environment", string(body, "environment")),
                    AgentInput.optionalId("trust_tier", string(body, "trust_tier")),
                    AgentInput.requireText("note", string(body, "note")), clock.instant());
        } catch (IllegalArgumentException e) {
            throw AdminException.badRequest(e.getMessage());
        }
        AgentRegistry r = registry();
        long generation;
        try {
            generation = r.add(agent);
        } catch (AgentRegistryException e) {
            throw failure(r, e);
        }
        return AdminResponse.json(201, AgentJson.show(r.directory(), generation, agent))
                .withAuditTarget(agent.agentId());
    }

    /** {@code POST /v1/agents/{id}/disable}, body {@code {"reason": "..."}} (optional): idempotent. */
    AdminResponse disable(AdminRequest req) throws AdminException {
        String id = id(req);
        ObjectNode body = body(req, DISABLE_FIELDS);
        String reason;
        try {
            reason = AgentInput.requireText("reason", string(body, "reason"));
        } catch (IllegalArgumentException e) {
            throw AdminException.badRequest(e.getMessage());
        }
        return setStatus(id, AgentStatus.DISABLED, reason);
    }

    /** {@code POST /v1/agents/{id}/enable}, no body (or {@code {}}): idempotent; the disable reason is cleared. */
    AdminResponse enable(AdminRequest req) throws AdminException {
        String id = id(req);
        body(req, List.of());
        return setStatus(id, AgentStatus.ACTIVE, null);
    }

    private AdminResponse setStatus(String id, AgentStatus status, String reason) throws AdminException {
        AgentRegistry r = registry();
        try {
            return AdminResponse.ok(AgentJson.statusChange(r.directory(), r.setStatus(id, status, reason)));
        } catch (AgentRegistryException e) {
            throw failure(r, e);
        }
    }

    /**
     * {@code POST /v1/agents/{id}/cert}: a client certificate for a registered, active agent, exactly as the offline
     * {@code agent cert} issues it. The answer carries the new private key: the socket is the admin's alone, and the
     * key is never stored or logged here.
     */
    AdminResponse cert(AdminRequest req) throws AdminException {
        String id = id(req);
        ObjectNode body = body(req, CERT_FIELDS);
        String td = string(body, "trust_domain");
        if (td != null && !td.equals(trustDomain)) {
            throw AdminException.badRequest("trust_domain " + AgentInput.quote(td) + " is not this gateway's"
                    + " (identity.trust_domain: " + trustDomain + "): it would not accept the certificate");
        }
        Duration validFor = AgentCerts.DEFAULT_VALIDITY;
        JsonNode v = body.get("valid_for_seconds");
        if (v != null && !v.isNull()) {
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() <= 0) {
                throw AdminException.badRequest("valid_for_seconds: " + v + " (expected: an integer > 0)");
            }
            validFor = Duration.ofSeconds(v.longValue());
        }
        boolean allowUnregistered = bool(body, "allow_unregistered");
        AgentRegistry r = registry();
        AgentRecord agent;
        try {
            agent = AgentCerts.usable(snapshot(r), r.directory(), id, allowUnregistered, "allow_unregistered");
        } catch (AgentCerts.Unusable e) {
            throw e.unknown() ? AdminException.notFound(e.getMessage())
                    : new AdminException(409, "agent_disabled", e.getMessage());
        }
        AgentCerts.Issued issued;
        try {
            issued = AgentCerts.issue(stateDir, trustDomain, id, validFor, clock);
        } catch (AgentCerts.IssueException e) {
            throw switch (e.kind()) {
                case TRUST_DOMAIN -> AdminException.badRequest("trust_domain " + e.getMessage());
                case REQUEST -> AdminException.badRequest(e.getMessage());
                case CA -> new AdminException(500, "ca_error", e.getMessage());
            };
        }
        AgentCertificate c = issued.certificate();
        ObjectNode o = AdminJson.object();
        o.put("agent_id", c.agentId());
        o.put("registered", agent != null);
        o.put("spiffe_id", c.spiffeId());
        o.put("serial", c.certificate().getSerialNumber().toString(16));
        o.put("not_before", c.certificate().getNotBefore().toInstant().toString());
        o.put("not_after", c.certificate().getNotAfter().toInstant().toString());
        o.put("ca_created", issued.caCreated());
        o.put("ca_directory", issued.caDir().toString());
        o.put("private_key_pem", c.privateKeyPem());
        o.put("certificate_pem", c.certificatePem());
        o.put("ca_certificate_pem", CaExport.certificatePem(c.caCertificate()));
        return AdminResponse.ok(o);
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private AgentRegistry registry() throws AdminException {
        AgentRegistry r = registry.get();
        if (r == null) {
            throw AdminException.unavailable("this daemon has no agent registry: it runs without a policy"
                    + " (policy.trusted_keys is not set, so every connection is denied and agents are not consulted)");
        }
        return r;
    }

    private static AgentDirectory snapshot(AgentRegistry r) throws AdminException {
        try {
            return r.snapshot();
        } catch (AgentRegistryException e) {
            throw failure(r, e);
        }
    }

    private static String id(AdminRequest req) throws AdminException {
        try {
            return AgentInput.requireId("agent id", req.pathParam("id"));
        } catch (IllegalArgumentException e) {
            throw AdminException.badRequest(e.getMessage());
        }
    }

    /** The body as an object with only {@code allowed} members: an unknown one is refused, not ignored. */
    private static ObjectNode body(AdminRequest req, List<String> allowed) throws AdminException {
        ObjectNode body = req.json();
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!allowed.contains(name)) {
                throw AdminException.badRequest("request body: unknown member " + AgentInput.quote(name)
                        + (allowed.isEmpty() ? " (expected: no body, or {})" : " (expected: " + String.join(", ",
                        allowed) + ")"));
            }
        }
        return body;
    }

    private static String string(ObjectNode body, String field) throws AdminException {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw AdminException.badRequest(field + ": " + v.getNodeType().toString().toLowerCase(Locale.ROOT)
                    + " (expected: a string or null)");
        }
        return v.textValue();
    }

    private static boolean bool(ObjectNode body, String field) throws AdminException {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw AdminException.badRequest(field + ": " + v + " (expected: true or false)");
        }
        return v.booleanValue();
    }

    /** A registry failure as an answer, with the registry's own message (the offline verbs print the same). */
    private static AdminException failure(AgentRegistry r, AgentRegistryException e) {
        String m = r.directory() + ": " + e.getMessage();
        return switch (e.reason()) {
            case NOT_FOUND -> AdminException.notFound(m);
            case ALREADY_EXISTS -> AdminException.conflict(m);
            case CLOSED -> AdminException.unavailable(m + " (the daemon is stopping)");
            case MAP_FULL -> new AdminException(507, "registry_full", m + " (the registry is full)");
            case CORRUPT -> new AdminException(500, "registry_error", m + " (restore " + r.directory()
                    + " from a backup)");
            case IO -> new AdminException(500, "registry_error", m);
        };
    }
}
