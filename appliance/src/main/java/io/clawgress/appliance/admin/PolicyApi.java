package io.clawgress.appliance.admin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.explain.ExplainJson;
import io.clawgress.appliance.explain.ExplainQuery;
import io.clawgress.enforcement.activation.ActivePolicy;
import io.clawgress.enforcement.policy.Explanation;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The policy the gateway enforces now (docs/admin-api.md#policy). {@code GET /v1/policy/explain} walks the decision
 * ladder of one described flow against the active snapshot, read once (a swap meanwhile cannot split the answer
 * between two revisions), with the code {@code clawgressctl policy explain} runs offline ({@link ExplainQuery},
 * {@link ExplainJson}). It is a read: nothing is decided for a real connection, nothing is recorded.
 */
public final class PolicyApi {

    /** The query parameters of {@code GET /v1/policy/explain}. */
    static final Set<String> EXPLAIN_PARAMS = Set.of("source", "dest", "sni", "tls", "host", "method", "path",
            "identity", "all", "format");
    public static final String TEXT = "text/plain; charset=utf-8";

    private PolicyApi() {
    }

    /** @param active the policy enforced now */
    public static void register(AdminRoutes routes, Supplier<ActivePolicy> active) {
        Objects.requireNonNull(active, "active");
        routes.read("GET", "/v1/policy/explain", r -> explain(r, active.get()));
    }

    /** On an admin worker thread; CPU only (a linear walk over the policy set). */
    static AdminResponse explain(AdminRequest req, ActivePolicy policy) throws AdminException {
        for (Map.Entry<String, List<String>> e : req.query().entrySet()) {
            if (!EXPLAIN_PARAMS.contains(e.getKey())) {
                throw AdminException.badRequest("unknown query parameter '" + e.getKey() + "' (expected: "
                        + String.join(", ", EXPLAIN_PARAMS.stream().sorted().toList()) + ")");
            }
            if (e.getValue().size() > 1) {
                throw AdminException.badRequest("query parameter '" + e.getKey() + "' given " + e.getValue().size()
                        + " times (expected: once)");
            }
        }
        boolean tls = flag(req, "tls");
        boolean all = flag(req, "all");
        String format = req.query("format");
        if (format != null && !format.equals("json") && !format.equals("text")) {
            throw AdminException.badRequest("format: '" + format + "' (expected: json or text)");
        }
        ExplainQuery query;
        try {
            query = ExplainQuery.parse(req.query("source"), req.query("dest"), req.query("sni"), tls,
                    req.query("host"), req.query("method"), req.query("path"),
                    ExplainQuery.identityFields(req.query("identity"), "identity"), k -> k);
        } catch (IllegalArgumentException e) {
            throw AdminException.badRequest(e.getMessage());
        }
        Explanation e = query.explain(policy.snapshot());
        if ("text".equals(format)) {
            StringBuilder b = new StringBuilder("policy: ").append(describe(policy)).append('\n');
            for (String line : e.lines(all)) {
                b.append(line).append('\n');
            }
            return AdminResponse.text(TEXT, b.toString());
        }
        ObjectNode o = ExplainJson.explanation(e);
        o.put("input", "live");
        o.set("active", BundlesApi.active(policy));
        return AdminResponse.ok(o);
    }

    private static boolean flag(AdminRequest req, String name) throws AdminException {
        String v = req.query(name);
        if (v == null || v.equals("false")) {
            return false;
        }
        if (v.equals("true") || v.isEmpty()) {
            return true;
        }
        throw AdminException.badRequest(name + ": '" + v + "' (expected: true or false)");
    }

    /** The active policy in one line, as the explanation's heading. */
    static String describe(ActivePolicy p) {
        if (p.signed()) {
            return "revision " + p.revision() + " (kid " + p.kid() + ", from " + p.source() + ")";
        }
        return p.source().startsWith("unsafe_unsigned:") ? "UNSIGNED " + p.source()
                : "none (no valid signed bundle: everything is denied)";
    }
}
