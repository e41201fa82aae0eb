package io.clawgress.appliance.explain;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Verdict;
import io.clawgress.enforcement.net.Addresses;
import io.clawgress.enforcement.policy.Explanation;
import io.clawgress.enforcement.policy.PolicyDecision;

/**
 * The JSON of an {@link Explanation} (docs/schemas/policy-explain.schema.json): what {@code clawgressctl policy
 * explain --json} prints offline and {@code GET /v1/policy/explain} answers live. Field names are snake_case and
 * stable; a value that does not exist is {@code null}, never left out.
 */
public final class ExplainJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ExplainJson() {
    }

    public static ObjectNode explanation(Explanation e) {
        ObjectNode o = NODES.objectNode();
        o.set("flow", flow(e.facts()));
        ObjectNode id = o.putObject("identity");
        Explanation.IdentityStep step = e.identity();
        id.put("source", step.source() == null ? null : Addresses.text(step.source()));
        id.put("binding", step.binding() == null ? null : step.binding().subnet().toString());
        id.put("bound_agent_id", step.binding() == null ? null : step.binding().identity().agentId());
        id.put("given", step.given());
        id.set("agent", identity(step.identity()));
        ArrayNode policies = o.putArray("policies");
        for (Explanation.PolicyStep p : e.policies()) {
            ObjectNode x = policies.addObject();
            x.put("id", p.policy().id());
            x.put("priority", p.policy().priority());
            x.put("mode", p.policy().mode().code());
            x.put("applies", p.applies());
            x.put("why", p.why());
        }
        ArrayNode rules = o.putArray("rules");
        for (Explanation.RuleStep s : e.rules()) {
            ObjectNode x = rules.addObject();
            x.put("rank", s.rank());
            x.put("policy", s.policy().id());
            x.put("rule", s.rule().id());
            x.put("action", s.rule().action().code());
            x.put("destination", s.destination().toString());
            x.put("destination_matches", s.destinationMatches());
            x.put("matches", s.matches());
            x.put("decides", s.decides());
            x.put("why", s.why());
        }
        Explanation.InterceptStep i = e.intercept();
        if (i == null) {
            o.putNull("intercept");
        } else {
            ObjectNode x = o.putObject("intercept");
            x.put("policy", i.policy().id());
            x.put("rule", i.rule().id());
            x.put("destination", i.destination().toString());
        }
        o.set("decision", decision(e.decision()));
        return o;
    }

    public static ObjectNode decision(PolicyDecision d) {
        ObjectNode o = NODES.objectNode();
        o.put("verdict", d.verdict().name());
        switch (d.verdict()) {
            case Verdict.Relay r -> {
                o.putNull("termination");
                o.put("upstream", Addresses.hostPort(r.upstream()));
                o.put("host", r.host());
                o.put("dial", r.dial().code());
            }
            case Verdict.Intercept i -> {
                o.putNull("termination");
                o.put("upstream", Addresses.hostPort(i.upstream()));
                o.put("host", i.host());
                o.put("dial", i.dial().code());
            }
            case Verdict.Deny deny -> {
                o.put("termination", deny.termination().code());
                o.putNull("upstream");
                o.putNull("host");
                o.putNull("dial");
            }
        }
        o.put("policy", d.policyId());
        o.put("rule", d.ruleId());
        o.put("reason", d.reason());
        o.put("revision", d.revision());
        o.put("mode", d.mode().code());
        o.put("would_deny", d.wouldDeny());
        return o;
    }

    public static ObjectNode flow(FlowFacts f) {
        ObjectNode o = NODES.objectNode();
        o.put("source", Explanation.source(f));
        o.put("destination", Addresses.hostPort(f.originalDestination()));
        PeekFacts p = f.peek();
        o.put("peek", p.kind().code());
        o.put("name", p.name());
        o.put("method", p.httpMethod());
        o.put("target", p.httpTarget());
        return o;
    }

    /** {@code null} for no identity. */
    public static ObjectNode identity(Identity id) {
        if (id == null) {
            return null;
        }
        ObjectNode o = NODES.objectNode();
        o.put("agent_id", id.agentId());
        o.put("team_id", id.teamId());
        o.put("project_id", id.projectId());
        o.put("environment", id.environment());
        o.put("trust_tier", id.trustTier());
        o.put("auth", id.auth().code());
        o.put("active", id.active());
        return o;
    }
}
