package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Verdict;
import io.clawgress.enforcement.net.Addresses;
import io.clawgress.enforcement.policy.Explanation;
import io.clawgress.enforcement.policy.PolicyDecision;
import io.clawgress.enforcement.policy.PolicyDiff;
import io.clawgress.enforcement.yaml.YamlError;

import java.util.List;

/**
 * The {@code --json} shapes of the offline verbs (docs/clawgressctl.md). Field names are snake_case and stable; a
 * value that does not exist is {@code null}, never left out, so scripts can rely on every key.
 */
final class Json {

    static final ObjectMapper MAPPER = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    static String write(ObjectNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("serialising a JSON tree", e);
        }
    }

    static ArrayNode errors(List<YamlError> errors) {
        ArrayNode a = MAPPER.createArrayNode();
        for (YamlError e : errors) {
            ObjectNode o = a.addObject();
            o.put("file", e.file());
            o.put("line", e.line());
            o.put("column", e.column());
            o.put("key", e.keyPath());
            o.put("message", e.message());
            o.put("text", e.toString());
        }
        return a;
    }

    /** An error that is not about a YAML position (a refused bundle, an unreadable file). */
    static ArrayNode errors(CtlCommand.Failure f) {
        if (!f.errors().isEmpty()) {
            return errors(f.errors());
        }
        ArrayNode a = MAPPER.createArrayNode();
        for (String line : f.lines()) {
            ObjectNode o = a.addObject();
            o.putNull("file");
            o.put("line", 0);
            o.put("column", 0);
            o.put("key", "");
            o.put("message", line);
            o.put("text", line);
        }
        return a;
    }

    static ObjectNode decision(PolicyDecision d) {
        ObjectNode o = object();
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

    static ObjectNode flow(FlowFacts f) {
        ObjectNode o = object();
        o.put("source", Explanation.source(f));
        o.put("destination", Addresses.hostPort(f.originalDestination()));
        PeekFacts p = f.peek();
        o.put("peek", p.kind().code());
        o.put("name", p.name());
        o.put("method", p.httpMethod());
        o.put("target", p.httpTarget());
        return o;
    }

    static ObjectNode identity(Identity id) {
        if (id == null) {
            return null;
        }
        ObjectNode o = object();
        o.put("agent_id", id.agentId());
        o.put("team_id", id.teamId());
        o.put("project_id", id.projectId());
        o.put("environment", id.environment());
        o.put("trust_tier", id.trustTier());
        o.put("auth", id.auth().code());
        o.put("active", id.active());
        return o;
    }

    static ObjectNode explanation(Explanation e) {
        ObjectNode o = object();
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

    static ObjectNode diff(PolicyDiff d) {
        ObjectNode o = object();
        o.put("identical", d.isEmpty());
        o.put("summary", d.summary());
        ArrayNode policies = o.putArray("policies");
        for (PolicyDiff.PolicyChange p : d.policies()) {
            ObjectNode x = policies.addObject();
            x.put("op", p.op().code());
            x.put("id", p.id());
            x.put("description", p.description());
            x.set("fields", fields(p.fields()));
            ArrayNode rules = x.putArray("rules");
            for (PolicyDiff.RuleChange r : p.rules()) {
                ObjectNode y = rules.addObject();
                y.put("op", r.op().code());
                y.put("id", r.id());
                y.put("description", r.description());
                y.set("fields", fields(r.fields()));
            }
        }
        ArrayNode bindings = o.putArray("bindings");
        for (PolicyDiff.BindingChange b : d.bindings()) {
            ObjectNode x = bindings.addObject();
            x.put("op", b.op().code());
            x.put("subnet", b.subnet().toString());
            x.put("description", b.description());
            x.set("before", identity(b.before()));
            x.set("after", identity(b.after()));
            x.set("fields", fields(b.fields()));
        }
        return o;
    }

    private static ArrayNode fields(List<PolicyDiff.FieldChange> fields) {
        ArrayNode a = MAPPER.createArrayNode();
        for (PolicyDiff.FieldChange f : fields) {
            ObjectNode o = a.addObject();
            o.put("op", f.op().code());
            o.put("field", f.field());
            o.put("before", f.before());
            o.put("after", f.after());
        }
        return a;
    }
}
