package io.clawgress.enforcement.policy;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.Identity;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** One-line texts of policy values, in the vocabulary of the YAML (docs/policy.md), for explain and diff output. */
final class Describe {

    private Describe() {
    }

    static String subjects(Subjects s) {
        List<String> parts = new ArrayList<>();
        set(parts, "agent_id", s.agentIds());
        set(parts, "team_id", s.teamIds());
        set(parts, "project_id", s.projectIds());
        set(parts, "environment", s.environments());
        if (s.minAuth() != AuthMethod.SUBNET) {
            parts.add("min_auth " + s.minAuth().code());
        }
        return parts.isEmpty() ? "every agent" : String.join(", ", parts);
    }

    private static void set(List<String> parts, String key, Set<String> values) {
        if (!values.isEmpty()) {
            parts.add(key + " " + values(values));
        }
    }

    static String values(Set<String> values) {
        return values.isEmpty() ? "any" : "[" + String.join(", ", values) + "]";
    }

    static String http(HttpMatch http) {
        if (http == null) {
            return "none";
        }
        String methods = http.methods().isEmpty() ? "any method" : String.join("|", http.methods());
        String paths = http.paths().isEmpty() ? "any path" : String.join("|", http.paths()) + "*";
        return methods + " " + paths;
    }

    static String rateLimit(RateLimit limit) {
        if (limit == null) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        if (limit.rps() > 0) {
            parts.add("rps " + limit.rps());
        }
        if (limit.rpm() > 0) {
            parts.add("rpm " + limit.rpm());
        }
        parts.add(limit.mode().code());
        if (limit.per() != RateLimit.Per.AGENT) {
            parts.add("per " + limit.per().code());
        }
        return String.join(", ", parts);
    }

    /** {@code allow api.openai.com port 443, *.anthropic.com port 443; http POST /v1/*; intercept}. */
    static String rule(Rule r) {
        StringBuilder b = new StringBuilder(r.action().code()).append(' ');
        for (int i = 0; i < r.destinations().size(); i++) {
            b.append(i == 0 ? "" : ", ").append(r.destinations().get(i));
        }
        if (r.http() != null) {
            b.append("; http ").append(http(r.http()));
        }
        if (r.intercept()) {
            b.append("; intercept");
        }
        if (r.rateLimit() != null) {
            b.append("; rate_limit ").append(rateLimit(r.rateLimit()));
        }
        return b.toString();
    }

    static String policy(Policy p) {
        return "priority " + p.priority() + ", " + p.mode().code() + ", subjects " + subjects(p.subjects()) + ", "
                + p.rules().size() + (p.rules().size() == 1 ? " rule" : " rules");
    }

    /** {@code agent research-bot (team_id research, environment dev, auth subnet)}, plus {@code disabled}. */
    static String identity(Identity id) {
        List<String> parts = new ArrayList<>();
        optional(parts, "team_id", id.teamId());
        optional(parts, "project_id", id.projectId());
        optional(parts, "environment", id.environment());
        optional(parts, "trust_tier", id.trustTier());
        parts.add("auth " + id.auth().code());
        return "agent " + id.agentId() + " (" + String.join(", ", parts) + ")" + (id.active() ? "" : ", disabled");
    }

    private static void optional(List<String> parts, String key, String value) {
        if (value != null) {
            parts.add(key + " " + value);
        }
    }
}
