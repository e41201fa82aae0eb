package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.Identity;
import io.clawgress.appliance.explain.ExplainJson;
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
        return ExplainJson.decision(d);
    }

    static ObjectNode identity(Identity id) {
        return ExplainJson.identity(id);
    }

    /** The shape the daemon's {@code GET /v1/policy/explain} answers too (one code for both). */
    static ObjectNode explanation(Explanation e) {
        return ExplainJson.explanation(e);
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
