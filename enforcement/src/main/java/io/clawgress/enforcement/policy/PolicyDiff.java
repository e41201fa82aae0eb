package io.clawgress.enforcement.policy;

import io.clawgress.api.Identity;
import io.clawgress.enforcement.net.Cidr;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What changed in effect between two policy sets ({@code clawgressctl policy diff}): policies, rules and subnet
 * bindings added, removed or changed, field by field. It compares the parsed model, not the text, so comments,
 * formatting, key order, file layout, document order and equivalent spellings ({@code 443} and {@code "443-443"},
 * {@code BÜCHER.example} and its punycode) are no difference. Rule order within a policy is not compared either: it
 * only picks which of two otherwise equal rules is reported, never the verdict.
 *
 * @param policies changed policies, by id
 * @param bindings changed bindings, by subnet
 */
public record PolicyDiff(List<PolicyChange> policies, List<BindingChange> bindings) {

    public PolicyDiff {
        policies = List.copyOf(policies);
        bindings = List.copyOf(bindings);
    }

    /** What happened to a policy, rule, binding or destination. */
    public enum Op {
        ADDED("added", "+"),
        REMOVED("removed", "-"),
        CHANGED("changed", "~");

        private final String code;
        private final String sign;

        Op(String code, String sign) {
            this.code = code;
            this.sign = sign;
        }

        public String code() {
            return code;
        }

        public String sign() {
            return sign;
        }
    }

    /**
     * One field's old and new value, as text. For a list compared item by item (destinations), {@code before} is
     * {@code null} for an added item and {@code after} for a removed one.
     */
    public record FieldChange(String field, String before, String after) {

        public Op op() {
            return before == null ? Op.ADDED : after == null ? Op.REMOVED : Op.CHANGED;
        }
    }

    /**
     * @param before the old rule, {@code null} when added
     * @param after  the new rule, {@code null} when removed
     * @param fields what changed, for a changed rule
     */
    public record RuleChange(Op op, String id, Rule before, Rule after, List<FieldChange> fields) {
        public RuleChange {
            fields = List.copyOf(fields);
        }

        /** The rule as it is now (as it was, when removed), in one line. */
        public String description() {
            return Describe.rule(after != null ? after : before);
        }
    }

    /** @param rules the rules that changed; for an added or removed policy, all of its rules */
    public record PolicyChange(Op op, String id, Policy before, Policy after, List<FieldChange> fields,
                               List<RuleChange> rules) {
        public PolicyChange {
            fields = List.copyOf(fields);
            rules = List.copyOf(rules);
        }

        /** The policy as it is now (as it was, when removed), in one line: priority, mode, subjects, rule count. */
        public String description() {
            return Describe.policy(after != null ? after : before);
        }
    }

    public record BindingChange(Op op, Cidr subnet, Identity before, Identity after, List<FieldChange> fields) {
        public BindingChange {
            fields = List.copyOf(fields);
        }

        /** The bound identity as it is now (as it was, when removed), in one line. */
        public String description() {
            return Describe.identity(after != null ? after : before);
        }
    }

    /** The changes that turn {@code before} into {@code after}. */
    public static PolicyDiff between(PolicySet before, PolicySet after) {
        Objects.requireNonNull(before, "before");
        Objects.requireNonNull(after, "after");
        Map<String, Policy> old = byId(before.policies());
        Map<String, Policy> now = byId(after.policies());
        List<PolicyChange> policies = new ArrayList<>();
        for (String id : new TreeSet<>(union(old.keySet(), now.keySet()))) {
            Policy a = old.get(id);
            Policy b = now.get(id);
            if (a == null) {
                policies.add(new PolicyChange(Op.ADDED, id, null, b, List.of(), all(Op.ADDED, b)));
            } else if (b == null) {
                policies.add(new PolicyChange(Op.REMOVED, id, a, null, List.of(), all(Op.REMOVED, a)));
            } else {
                List<FieldChange> fields = new ArrayList<>();
                field(fields, "priority", a.priority(), b.priority());
                field(fields, "mode", a.mode().code(), b.mode().code());
                subjects(fields, a.subjects(), b.subjects());
                List<RuleChange> rules = rules(a, b);
                if (!fields.isEmpty() || !rules.isEmpty()) {
                    policies.add(new PolicyChange(Op.CHANGED, id, a, b, fields, rules));
                }
            }
        }
        return new PolicyDiff(policies, bindings(before.bindings(), after.bindings()));
    }

    public boolean isEmpty() {
        return policies.isEmpty() && bindings.isEmpty();
    }

    // ---- policies and rules -----------------------------------------------------------------------------------

    private static Map<String, Policy> byId(List<Policy> policies) {
        Map<String, Policy> m = new LinkedHashMap<>();
        policies.forEach(p -> m.put(p.id(), p));
        return m;
    }

    private static <T> Set<T> union(Set<T> a, Set<T> b) {
        Set<T> u = new java.util.LinkedHashSet<>(a);
        u.addAll(b);
        return u;
    }

    private static List<RuleChange> all(Op op, Policy p) {
        return p.rules().stream().map(r -> op == Op.ADDED ? new RuleChange(op, r.id(), null, r, List.of())
                : new RuleChange(op, r.id(), r, null, List.of())).toList();
    }

    private static void subjects(List<FieldChange> out, Subjects a, Subjects b) {
        field(out, "subjects.agent_id", Describe.values(a.agentIds()), Describe.values(b.agentIds()));
        field(out, "subjects.team_id", Describe.values(a.teamIds()), Describe.values(b.teamIds()));
        field(out, "subjects.project_id", Describe.values(a.projectIds()), Describe.values(b.projectIds()));
        field(out, "subjects.environment", Describe.values(a.environments()), Describe.values(b.environments()));
        field(out, "subjects.min_auth", a.minAuth().code(), b.minAuth().code());
    }

    /** Removed and changed rules in the old policy's order, then added ones in the new policy's order. */
    private static List<RuleChange> rules(Policy a, Policy b) {
        Map<String, Rule> old = new LinkedHashMap<>();
        a.rules().forEach(r -> old.put(r.id(), r));
        Map<String, Rule> now = new LinkedHashMap<>();
        b.rules().forEach(r -> now.put(r.id(), r));
        List<RuleChange> out = new ArrayList<>();
        for (Rule r : a.rules()) {
            Rule n = now.get(r.id());
            if (n == null) {
                out.add(new RuleChange(Op.REMOVED, r.id(), r, null, List.of()));
                continue;
            }
            List<FieldChange> fields = new ArrayList<>();
            field(fields, "action", r.action().code(), n.action().code());
            destinations(fields, r.destinations(), n.destinations());
            field(fields, "http", Describe.http(r.http()), Describe.http(n.http()));
            field(fields, "intercept", r.intercept(), n.intercept());
            field(fields, "rate_limit", Describe.rateLimit(r.rateLimit()), Describe.rateLimit(n.rateLimit()));
            if (!fields.isEmpty()) {
                out.add(new RuleChange(Op.CHANGED, r.id(), r, n, fields));
            }
        }
        for (Rule n : b.rules()) {
            if (!old.containsKey(n.id())) {
                out.add(new RuleChange(Op.ADDED, n.id(), null, n, List.of()));
            }
        }
        return out;
    }

    /**
     * Destinations compared as multisets of values (their order never matters); a removed and an added destination on
     * the same host or prefix, one each, are reported as one change of that destination (ports or dial).
     */
    private static void destinations(List<FieldChange> out, List<Destination> a, List<Destination> b) {
        List<Destination> removed = new ArrayList<>(a);
        List<Destination> added = new ArrayList<>();
        for (Destination d : b) {
            if (!removed.remove(d)) {
                added.add(d);
            }
        }
        Map<String, List<Destination>> removedByKey = new LinkedHashMap<>();
        removed.forEach(d -> removedByKey.computeIfAbsent(key(d), k -> new ArrayList<>()).add(d));
        Map<String, List<Destination>> addedByKey = new LinkedHashMap<>();
        added.forEach(d -> addedByKey.computeIfAbsent(key(d), k -> new ArrayList<>()).add(d));
        List<FieldChange> changes = new ArrayList<>();
        for (Destination d : removed) {
            List<Destination> same = addedByKey.get(key(d));
            if (same != null && same.size() == 1 && removedByKey.get(key(d)).size() == 1) {
                changes.add(new FieldChange("destinations[" + key(d) + "]", d.toString(), same.get(0).toString()));
            } else {
                changes.add(new FieldChange("destinations", d.toString(), null));
            }
        }
        for (Destination d : added) {
            List<Destination> same = removedByKey.get(key(d));
            if (same == null || same.size() != 1 || addedByKey.get(key(d)).size() != 1) {
                changes.add(new FieldChange("destinations", null, d.toString()));
            }
        }
        changes.sort(Comparator.comparing((FieldChange c) -> c.op().ordinal()));
        out.addAll(changes);
    }

    private static String key(Destination d) {
        return d.isHost() ? d.host().toString() : d.cidr().toString();
    }

    // ---- bindings ---------------------------------------------------------------------------------------------

    private static List<BindingChange> bindings(List<IdentityBinding> before, List<IdentityBinding> after) {
        Map<Cidr, Identity> old = new LinkedHashMap<>();
        before.forEach(b -> old.put(b.subnet(), b.identity()));
        Map<Cidr, Identity> now = new LinkedHashMap<>();
        after.forEach(b -> now.put(b.subnet(), b.identity()));
        List<Cidr> subnets = new ArrayList<>(union(old.keySet(), now.keySet()));
        subnets.sort(Comparator.comparing((Cidr c) -> !c.isIpv4()).thenComparing(c -> CidrBits.network(c).getAddress(),
                java.util.Arrays::compareUnsigned).thenComparingInt(Cidr::prefixLength));
        List<BindingChange> out = new ArrayList<>();
        for (Cidr subnet : subnets) {
            Identity a = old.get(subnet);
            Identity b = now.get(subnet);
            if (a == null) {
                out.add(new BindingChange(Op.ADDED, subnet, null, b, List.of()));
            } else if (b == null) {
                out.add(new BindingChange(Op.REMOVED, subnet, a, null, List.of()));
            } else {
                List<FieldChange> fields = new ArrayList<>();
                field(fields, "agent_id", a.agentId(), b.agentId());
                field(fields, "team_id", a.teamId(), b.teamId());
                field(fields, "project_id", a.projectId(), b.projectId());
                field(fields, "environment", a.environment(), b.environment());
                field(fields, "trust_tier", a.trustTier(), b.trustTier());
                field(fields, "active", a.active(), b.active());
                if (!fields.isEmpty()) {
                    out.add(new BindingChange(Op.CHANGED, subnet, a, b, fields));
                }
            }
        }
        return out;
    }

    private static void field(List<FieldChange> out, String name, Object a, Object b) {
        if (!Objects.equals(a, b)) {
            out.add(new FieldChange(name, a == null ? "none" : a.toString(), b == null ? "none" : b.toString()));
        }
    }

    // ---- text -------------------------------------------------------------------------------------------------

    /** The diff as text: {@code +} added, {@code -} removed, {@code ~} changed, then a summary line. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        for (PolicyChange p : policies) {
            out.add(p.op().sign() + " policy " + p.id() + (p.op() == Op.CHANGED ? "" : ": " + p.description()));
            for (FieldChange f : p.fields()) {
                out.add("    " + f.field() + ": " + f.before() + " -> " + f.after());
            }
            for (RuleChange r : p.rules()) {
                if (r.op() == Op.CHANGED) {
                    out.add("  ~ rule " + r.id());
                    for (FieldChange f : r.fields()) {
                        out.add("      " + fieldLine(f));
                    }
                } else {
                    out.add("  " + r.op().sign() + " rule " + r.id() + ": " + r.description());
                }
            }
        }
        for (BindingChange b : bindings) {
            if (b.op() == Op.CHANGED) {
                out.add("~ binding " + b.subnet());
                for (FieldChange f : b.fields()) {
                    out.add("    " + f.field() + ": " + f.before() + " -> " + f.after());
                }
            } else {
                out.add(b.op().sign() + " binding " + b.subnet() + ": " + b.description());
            }
        }
        out.add(summary());
        return out;
    }

    private static String fieldLine(FieldChange f) {
        if (f.field().equals("destinations")) {
            return f.op().sign() + " destination " + (f.after() != null ? f.after() : f.before());
        }
        if (f.field().startsWith("destinations[")) {
            return "~ destination " + f.before() + " -> " + f.after();
        }
        return f.field() + ": " + f.before() + " -> " + f.after();
    }

    /** {@code 3 policies: 1 added, 2 changed; 1 binding: 1 removed}, or {@code no difference}. */
    public String summary() {
        if (isEmpty()) {
            return "no difference";
        }
        List<String> parts = new ArrayList<>();
        String p = counts(policies.stream().map(PolicyChange::op).toList(), "policy", "policies");
        String b = counts(bindings.stream().map(BindingChange::op).toList(), "binding", "bindings");
        if (!p.isEmpty()) {
            parts.add(p);
        }
        if (!b.isEmpty()) {
            parts.add(b);
        }
        return String.join("; ", parts);
    }

    private static String counts(List<Op> ops, String one, String many) {
        if (ops.isEmpty()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        for (Op op : Op.values()) {
            long n = ops.stream().filter(o -> o == op).count();
            if (n > 0) {
                parts.add(n + " " + op.code());
            }
        }
        return ops.size() + " " + (ops.size() == 1 ? one : many) + ": " + String.join(", ", parts);
    }
}
