package io.clawgress.enforcement.policy;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.DialMode;
import io.clawgress.api.Identity;
import io.clawgress.enforcement.net.Cidr;
import io.clawgress.enforcement.net.HostPattern;
import io.clawgress.enforcement.net.PortSet;
import io.clawgress.enforcement.yaml.YamlError;
import io.clawgress.enforcement.yaml.YamlException;
import io.clawgress.enforcement.yaml.YamlNodeReader;
import io.clawgress.enforcement.yaml.YamlNodeReader.Fields;
import io.clawgress.enforcement.yaml.YamlSource;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Reads policy YAML (docs/policy.md) into a validated {@link PolicySet}, or reports every problem at once as a
 * {@link PolicyException} whose errors carry file, line, column, key path and the expectation.
 *
 * <p>Policy files are untrusted input until validated (they arrive in bundles), so they are read like the config
 * file: size bounded, strict UTF-8, SnakeYAML's compose API only (a node tree with positions, never objects),
 * aliases, nesting and tags bounded or refused, duplicate and unknown keys refused, scalars typed by their tag.
 * A file may hold several documents separated by {@code ---}; each is a {@code Policy} or an
 * {@code IdentityBindings}. Blocking file I/O: never call it on an event loop.
 */
public final class PolicyParser {

    public static final String API_VERSION = "clawgress.io/v1";
    public static final String KIND_POLICY = "Policy";
    public static final String KIND_BINDINGS = "IdentityBindings";

    public static final int MAX_FILE_BYTES = YamlSource.MAX_FILE_BYTES;
    public static final int MAX_FILES = 1000;

    static final List<String> KINDS = List.of(KIND_POLICY, KIND_BINDINGS);
    static final List<String> POLICY_KEYS = List.of("apiVersion", "kind", "id", "priority", "mode", "subjects",
            "rules");
    static final List<String> BINDINGS_KEYS = List.of("apiVersion", "kind", "id", "bindings");
    static final List<String> SUBJECT_KEYS = List.of("agent_id", "team_id", "project_id", "environment",
            "min_auth");
    static final List<String> RULE_KEYS = List.of("id", "action", "destinations", "http", "intercept",
            "rate_limit");
    /** Dial modes a host destination may ask for, in the order error messages list them. */
    private static final Map<String, DialMode> HOST_DIAL_MODES = new TreeMap<>(Map.of(
            DialMode.RESOLVED.code(), DialMode.RESOLVED,
            DialMode.ORIGINAL_IF_RESOLVED.code(), DialMode.ORIGINAL_IF_RESOLVED));

    static final List<String> DESTINATION_KEYS = List.of("host", "cidr", "ports", "dial");
    static final List<String> HTTP_KEYS = List.of("methods", "paths");
    static final List<String> RATE_LIMIT_KEYS = List.of("rps", "rpm", "mode", "per");
    static final List<String> BINDING_KEYS = List.of("subnet", "identity");
    static final List<String> IDENTITY_KEYS = List.of("agent_id", "team_id", "project_id", "environment",
            "trust_tier", "active");

    /**
     * Public suffixes under which a wildcard would cover unrelated owners. Single-label suffixes ({@code *.com})
     * are refused by rule; this list holds the common multi-label ones until the full Public Suffix List is
     * bundled.
     */
    static final Set<String> PUBLIC_SUFFIXES = Set.of("co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk",
            "plc.uk", "net.uk", "com.au", "net.au", "org.au", "edu.au", "gov.au", "co.nz", "org.nz", "co.jp",
            "ne.jp", "or.jp", "ac.jp", "com.br", "com.cn", "net.cn", "org.cn", "co.in", "net.in", "org.in", "co.za",
            "com.mx", "com.tr", "com.tw", "co.kr", "com.sg", "com.hk", "com.ar", "co.il", "github.io", "gitlab.io",
            "herokuapp.com", "appspot.com", "blogspot.com", "cloudfront.net", "azurewebsites.net", "netlify.app",
            "vercel.app", "pages.dev", "workers.dev", "web.app", "firebaseapp.com", "s3.amazonaws.com",
            "compute.amazonaws.com", "elasticbeanstalk.com", "ngrok.io", "ngrok-free.app", "duckdns.org");

    private static final Pattern SUBJECT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final Map<String, Mode> MODES = codes(Mode.values(), Mode::code);
    private static final Map<String, Action> ACTIONS = codes(Action.values(), Action::code);
    private static final Map<String, AuthMethod> AUTHS = codes(AuthMethod.values(), AuthMethod::code);
    private static final Map<String, RateLimit.LimitMode> LIMIT_MODES = codes(RateLimit.LimitMode.values(),
            RateLimit.LimitMode::code);
    private static final Map<String, RateLimit.Per> LIMIT_PERS = codes(RateLimit.Per.values(), RateLimit.Per::code);

    private PolicyParser() {
    }

    /**
     * Reads every {@code *.yaml} and {@code *.yml} file directly in {@code dir} (sorted by name; other files are
     * ignored, subdirectories and links refused).
     */
    public static PolicySet parseDirectory(Path dir) throws PolicyException {
        Objects.requireNonNull(dir, "dir");
        String dirName = dir.toString();
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw single(dirName, "not a directory (expected: a directory of policy YAML files)");
        }
        Map<String, String> texts = new TreeMap<>();
        List<YamlError> errors = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            List<Path> files = new ArrayList<>();
            for (Path p : entries) {
                String n = p.getFileName().toString();
                if (!(n.endsWith(".yaml") || n.endsWith(".yml"))) {
                    continue;
                }
                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    errors.add(new YamlError(p.toString(), 0, 0, "",
                            "not a regular file (expected: a YAML file, not a link, directory or device)"));
                    continue;
                }
                files.add(p);
                if (files.size() > MAX_FILES) {
                    throw single(dirName, "more than " + MAX_FILES + " policy files (expected: at most "
                            + MAX_FILES + ")");
                }
            }
            files.sort(Comparator.comparing(p -> p.getFileName().toString()));
            for (Path p : files) {
                String name = p.toString();
                try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
                    texts.put(name, YamlSource.decode(YamlSource.readBounded(in, name), name));
                } catch (YamlException e) {
                    errors.addAll(e.errors());
                }
            }
        } catch (IOException e) {
            throw single(dirName, "cannot read: " + oneLine(String.valueOf(e.getMessage()))
                    + " (expected: a readable directory of policy YAML files)");
        }
        return parse(texts, errors);
    }

    /**
     * Parses the policy documents of a verified bundle: every {@code *.yaml} and {@code *.yml} file at any depth
     * (other files, such as key sets, belong to other readers). Each must be strict UTF-8 within
     * {@link #MAX_FILE_BYTES}; names appear in errors as their bundle paths.
     */
    public static PolicySet parseBundleFiles(Map<String, byte[]> files) throws PolicyException {
        Objects.requireNonNull(files, "files");
        Map<String, String> texts = new TreeMap<>();
        List<YamlError> errors = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : new TreeMap<>(files).entrySet()) {
            String name = e.getKey();
            if (!(name.endsWith(".yaml") || name.endsWith(".yml"))) {
                continue;
            }
            if (e.getValue().length > MAX_FILE_BYTES) {
                errors.add(new YamlError(name, 0, 0, "", e.getValue().length + " bytes (expected: at most "
                        + MAX_FILE_BYTES + ")"));
                continue;
            }
            try {
                texts.put(name, YamlSource.decode(e.getValue(), name));
            } catch (YamlException ex) {
                errors.addAll(ex.errors());
            }
        }
        return parse(texts, errors);
    }

    /** Parses {@code files} (name to YAML text), in name order; names appear in errors as given. */
    public static PolicySet parse(Map<String, String> files) throws PolicyException {
        Objects.requireNonNull(files, "files");
        if (files.size() > MAX_FILES) {
            throw single("", files.size() + " policy files (expected: at most " + MAX_FILES + ")");
        }
        return parse(new TreeMap<>(files), new ArrayList<>());
    }

    private static PolicySet parse(Map<String, String> files, List<YamlError> errors) throws PolicyException {
        List<Located<Policy>> policies = new ArrayList<>();
        List<Located<IdentityBinding>> bindings = new ArrayList<>();
        for (Map.Entry<String, String> f : files.entrySet()) {
            String name = f.getKey();
            String text = f.getValue();
            if (text.length() > MAX_FILE_BYTES) {
                errors.add(new YamlError(name, 0, 0, "", "more than " + MAX_FILE_BYTES
                        + " characters (expected: at most " + MAX_FILE_BYTES + " bytes)"));
                continue;
            }
            YamlNodeReader r = new YamlNodeReader(name);
            List<Node> docs = YamlSource.composeAll(YamlSource.stripBom(text), r);
            if (docs.isEmpty() && r.errorCount() == 0) {
                r.error((Mark) null, "", "no YAML document (expected: a Policy or IdentityBindings document)");
            }
            for (Node doc : docs) {
                document(r, doc, policies, bindings);
            }
            errors.addAll(r.errors());
        }
        crossChecks(policies, bindings, errors);
        if (!errors.isEmpty()) {
            errors.sort(Comparator.comparing(YamlError::file).thenComparingInt(YamlError::line)
                    .thenComparingInt(YamlError::column));
            throw new PolicyException(errors);
        }
        try {
            return new PolicySet(policies.stream().map(Located::value).toList(),
                    bindings.stream().map(Located::value).toList());
        } catch (IllegalArgumentException e) {
            // Unreachable: the cross checks above report what PolicySet refuses, with positions.
            throw single("", e.getMessage());
        }
    }

    /** A value and where it was written, for errors that involve two documents. */
    private record Located<T>(T value, String file, Node node) {
        String where() {
            return file + ":" + (node.getStartMark().getLine() + 1);
        }
    }

    // ---- reading YAML -----------------------------------------------------------------------------------------

    private static void document(YamlNodeReader r, Node root, List<Located<Policy>> policies,
                                 List<Located<IdentityBinding>> bindings) {
        int before = r.errorCount();
        r.checkTags(root);
        if (r.errorCount() > before) {
            return;
        }
        if (!(root instanceof MappingNode m)) {
            r.invalid(root, "", "a mapping with apiVersion, kind and the keys of that kind (docs/policy.md)");
            return;
        }
        Node kindNode = null;
        for (NodeTuple t : m.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals("kind")) {
                kindNode = t.getValueNode();
            }
        }
        if (kindNode == null) {
            r.error(root, "kind", "missing (expected: one of: " + String.join(", ", KINDS) + ")");
            return;
        }
        String kind = r.string(kindNode, "kind", "one of: " + String.join(", ", KINDS));
        if (kind == null) {
            return;
        }
        if (!KINDS.contains(kind)) {
            r.invalid(kindNode, "kind", "one of: " + String.join(", ", KINDS));
            return;
        }
        List<String> keys = kind.equals(KIND_POLICY) ? POLICY_KEYS : BINDINGS_KEYS;
        Fields top = r.fields(root, "", "a mapping with keys: " + String.join(", ", keys), keys);
        if (top == null) {
            return;
        }
        Node version = top.required("apiVersion", API_VERSION);
        if (version != null) {
            String v = r.string(version, "apiVersion", API_VERSION);
            if (v != null && !v.equals(API_VERSION)) {
                r.invalid(version, "apiVersion", API_VERSION);
            }
        }
        String id = id(r, top, "id", "a policy id: " + Ids.EXPECTED);
        if (kind.equals(KIND_POLICY)) {
            Policy p = policy(r, top, id, before);
            if (p != null) {
                policies.add(new Located<>(p, fileOf(r), top.at("id")));
            }
        } else {
            bindingsDocument(r, top, bindings);
        }
    }

    private static String fileOf(YamlNodeReader r) {
        return r.file();
    }

    // ---- Policy -----------------------------------------------------------------------------------------------

    private static Policy policy(YamlNodeReader r, Fields top, String id, int before) {
        Node priorityNode = top.required("priority", "an integer 0.." + Policy.MAX_PRIORITY);
        Integer priority = priorityNode == null ? null
                : r.integer(priorityNode, "priority", 0, Policy.MAX_PRIORITY);
        Mode mode = top.choice("mode", MODES, Mode.ENFORCE);
        Subjects subjects = subjects(r, top);
        List<Rule> rules = new ArrayList<>();
        List<Node> ruleNodes = null;
        if (top.required("rules", "a list of rules") != null) {
            ruleNodes = top.list("rules", "a list of rules");
        }
        if (ruleNodes != null) {
            Map<String, Node> seen = new LinkedHashMap<>();
            for (int i = 0; i < ruleNodes.size(); i++) {
                Rule rule = rule(r, ruleNodes.get(i), YamlNodeReader.index("rules", i), seen);
                if (rule != null) {
                    rules.add(rule);
                }
            }
        }
        if (r.errorCount() > before || id == null || priority == null || subjects == null) {
            return null;
        }
        return construct(r, top.node(), "", () -> new Policy(id, priority, mode, subjects, rules));
    }

    private static Subjects subjects(YamlNodeReader r, Fields top) {
        Node node = top.required("subjects", "a mapping with any of: " + String.join(", ", SUBJECT_KEYS)
                + " ({} for every agent)");
        if (node == null) {
            return null;
        }
        Fields s = r.fields(node, "subjects", "a mapping with any of: " + String.join(", ", SUBJECT_KEYS)
                + " ({} for every agent)", SUBJECT_KEYS);
        if (s == null) {
            return null;
        }
        int before = r.errorCount();
        Set<String> agents = idList(r, s, "agent_id");
        Set<String> teams = idList(r, s, "team_id");
        Set<String> projects = idList(r, s, "project_id");
        Set<String> envs = idList(r, s, "environment");
        AuthMethod minAuth = s.choice("min_auth", AUTHS, AuthMethod.SUBNET);
        if (r.errorCount() > before) {
            return null;
        }
        return construct(r, node, "subjects", () -> new Subjects(agents, teams, projects, envs, minAuth));
    }

    private static Set<String> idList(YamlNodeReader r, Fields s, String key) {
        String expected = "a list of ids (1-128 of A-Z a-z 0-9 . _ : -)";
        List<Node> items = s.list(key, expected);
        Set<String> out = new LinkedHashSet<>();
        if (items == null) {
            return out;
        }
        if (items.isEmpty()) {
            r.error(s.get(key), s.pathOf(key), "[] (expected: at least one id; omit the key to match any)");
        }
        for (int i = 0; i < items.size(); i++) {
            String path = YamlNodeReader.index(s.pathOf(key), i);
            String v = r.string(items.get(i), path, expected);
            if (v != null && !SUBJECT_ID.matcher(v).matches()) {
                r.invalid(items.get(i), path, expected);
            } else if (v != null) {
                out.add(v);
            }
        }
        return out;
    }

    private static Rule rule(YamlNodeReader r, Node node, String path, Map<String, Node> seen) {
        Fields f = r.fields(node, path, "a rule: a mapping with keys: " + String.join(", ", RULE_KEYS), RULE_KEYS);
        if (f == null) {
            return null;
        }
        int before = r.errorCount();
        String id = id(r, f, "id", "a rule id: " + Ids.EXPECTED);
        if (id != null) {
            if (Rule.RESERVED_IDS.contains(id)) {
                r.invalid(f.get("id"), f.pathOf("id"), "a rule id other than the reserved "
                        + String.join(", ", Rule.RESERVED_IDS));
            } else if (seen.containsKey(id)) {
                r.error(f.get("id"), f.pathOf("id"), "duplicate rule id '" + id + "' (expected: unique rule ids"
                        + " within the policy; first at line " + (seen.get(id).getStartMark().getLine() + 1) + ")");
            } else {
                seen.put(id, f.get("id"));
            }
        }
        Node actionNode = f.required("action", "one of: allow, deny");
        Action action = actionNode == null ? null : r.choice(actionNode, f.pathOf("action"), ACTIONS);
        List<Destination> destinations = new ArrayList<>();
        if (f.required("destinations", "a list of destinations") != null) {
            List<Node> items = f.list("destinations", "a list of destinations: {host: ...} or {cidr: ...}");
            if (items != null && items.isEmpty()) {
                r.error(f.get("destinations"), f.pathOf("destinations"),
                        "[] (expected: at least one destination)");
            }
            if (items != null) {
                for (int i = 0; i < items.size(); i++) {
                    Destination d = destination(r, items.get(i), YamlNodeReader.index(f.pathOf("destinations"), i));
                    if (d != null) {
                        destinations.add(d);
                    }
                }
            }
        }
        HttpMatch http = f.get("http") == null ? null : http(r, f.get("http"), f.pathOf("http"));
        boolean intercept = f.bool("intercept", false);
        RateLimit limit = f.get("rate_limit") == null ? null
                : rateLimit(r, f.get("rate_limit"), f.pathOf("rate_limit"));
        if (action == Action.DENY && f.get("intercept") != null && intercept) {
            r.error(f.get("intercept"), f.pathOf("intercept"), "true on a deny rule (expected: intercept only on"
                    + " allow rules)");
        }
        if (action == Action.DENY && f.get("rate_limit") != null) {
            r.error(f.get("rate_limit"), f.pathOf("rate_limit"), "on a deny rule (expected: rate_limit only on"
                    + " allow rules)");
        }
        if (r.errorCount() > before || id == null || action == null) {
            return null;
        }
        return construct(r, node, path, () -> new Rule(id, action, destinations, http, intercept, limit));
    }

    private static Destination destination(YamlNodeReader r, Node node, String path) {
        Fields f = r.fields(node, path, "a destination: {host: NAME or \"*.DOMAIN\", ports: [...]} or"
                + " {cidr: PREFIX, ports: [...]}", DESTINATION_KEYS);
        if (f == null) {
            return null;
        }
        Node hostNode = f.get("host");
        Node cidrNode = f.get("cidr");
        if ((hostNode == null) == (cidrNode == null)) {
            r.error(node, path, (hostNode == null ? "neither host nor cidr" : "both host and cidr")
                    + " (expected: exactly one of host and cidr)");
            return null;
        }
        PortSet ports = ports(r, f);
        HostPattern host = null;
        Cidr cidr = null;
        if (hostNode != null) {
            String text = r.string(hostNode, f.pathOf("host"), "a host name or \"*.domain\"");
            if (text != null) {
                try {
                    host = HostPattern.parse(text);
                    String s = host.toString();
                    if (s.startsWith("*.") && (s.indexOf('.', 2) < 0 || PUBLIC_SUFFIXES.contains(s.substring(2)))) {
                        r.error(hostNode, f.pathOf("host"), YamlNodeReader.quote(text) + " covers a public suffix"
                                + " (expected: a wildcard under a registrable domain, such as *.example.com)");
                        host = null;
                    }
                } catch (IllegalArgumentException e) {
                    r.error(hostNode, f.pathOf("host"), e.getMessage());
                }
            }
        } else {
            String text = r.string(cidrNode, f.pathOf("cidr"), "an IPv4 or IPv6 prefix such as 10.0.0.0/8");
            if (text != null) {
                try {
                    cidr = Cidr.parse(text);
                } catch (IllegalArgumentException e) {
                    r.error(cidrNode, f.pathOf("cidr"), e.getMessage());
                }
            }
        }
        DialMode dial = hostNode != null ? DialMode.RESOLVED : DialMode.ORIGINAL;
        Node dialNode = f.get("dial");
        if (dialNode != null) {
            if (hostNode == null) {
                r.error(dialNode, f.pathOf("dial"), "dial on a cidr destination (expected: no dial key; an address"
                        + " destination always dials the original destination)");
                return null;
            }
            DialMode m = r.choice(dialNode, f.pathOf("dial"), HOST_DIAL_MODES);
            if (m == null) {
                return null;
            }
            dial = m;
        }
        if (ports == null || (host == null && cidr == null)) {
            return null;
        }
        return new Destination(host, cidr, ports, dial);
    }

    private static PortSet ports(YamlNodeReader r, Fields f) {
        Node node = f.get("ports");
        if (node == null) {
            return PortSet.ANY;
        }
        String expected = "a list of ports 1..65535 or ranges \"low-high\"";
        List<Node> items = r.list(node, f.pathOf("ports"), expected);
        if (items == null) {
            return null;
        }
        if (items.isEmpty()) {
            r.error(node, f.pathOf("ports"), "[] (expected: at least one port; omit the key for any port)");
            return null;
        }
        List<String> texts = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < items.size(); i++) {
            Node item = items.get(i);
            String path = YamlNodeReader.index(f.pathOf("ports"), i);
            String text = item instanceof ScalarNode s && (Tag.INT.equals(s.getTag()) || Tag.STR.equals(s.getTag()))
                    ? s.getValue() : null;
            if (text == null) {
                r.invalid(item, path, "a port 1..65535 or a range \"low-high\"");
                ok = false;
                continue;
            }
            try {
                PortSet.of(List.of(text));
                texts.add(text);
            } catch (IllegalArgumentException e) {
                r.error(item, path, e.getMessage());
                ok = false;
            }
        }
        return ok ? PortSet.of(texts) : null;
    }

    private static HttpMatch http(YamlNodeReader r, Node node, String path) {
        Fields f = r.fields(node, path, "a mapping with keys: methods, paths", HTTP_KEYS);
        if (f == null) {
            return null;
        }
        int before = r.errorCount();
        List<String> methods = strings(r, f, "methods", "a list of upper-case HTTP methods such as GET, POST");
        List<String> paths = strings(r, f, "paths", "a list of path prefixes starting with /");
        if (r.errorCount() > before) {
            return null;
        }
        if (methods.isEmpty() && paths.isEmpty()) {
            r.error(node, path, "no methods and no paths (expected: at least one of methods and paths)");
            return null;
        }
        for (int i = 0; i < methods.size(); i++) {
            String m = methods.get(i);
            try {
                new HttpMatch(List.of(m), List.of());
            } catch (IllegalArgumentException e) {
                r.invalid(f.list("methods", "").get(i), YamlNodeReader.index(f.pathOf("methods"), i),
                        "an upper-case HTTP method such as GET or POST (RFC 9110 §9.1: methods are case-sensitive)");
            }
        }
        for (int i = 0; i < paths.size(); i++) {
            try {
                new HttpMatch(List.of(), List.of(paths.get(i)));
            } catch (IllegalArgumentException e) {
                r.invalid(f.list("paths", "").get(i), YamlNodeReader.index(f.pathOf("paths"), i),
                        "a path prefix starting with /, printable ASCII, no dot segments or encoded . / \\");
            }
        }
        if (r.errorCount() > before) {
            return null;
        }
        return construct(r, node, path, () -> new HttpMatch(methods, paths));
    }

    private static List<String> strings(YamlNodeReader r, Fields f, String key, String expected) {
        List<Node> items = f.list(key, expected);
        List<String> out = new ArrayList<>();
        if (items == null) {
            return out;
        }
        if (items.isEmpty()) {
            r.error(f.get(key), f.pathOf(key), "[] (expected: " + expected + "; omit the key for any)");
        }
        for (int i = 0; i < items.size(); i++) {
            String v = r.string(items.get(i), YamlNodeReader.index(f.pathOf(key), i), expected);
            if (v != null) {
                out.add(v);
            }
        }
        return out;
    }

    private static RateLimit rateLimit(YamlNodeReader r, Node node, String path) {
        Fields f = r.fields(node, path, "a mapping with keys: " + String.join(", ", RATE_LIMIT_KEYS), RATE_LIMIT_KEYS);
        if (f == null) {
            return null;
        }
        int before = r.errorCount();
        int rps = f.integer("rps", 1, RateLimit.MAX_RPS, 0);
        int rpm = f.integer("rpm", 1, RateLimit.MAX_RPM, 0);
        RateLimit.LimitMode mode = f.choice("mode", LIMIT_MODES, RateLimit.LimitMode.HARD_STOP);
        RateLimit.Per per = f.choice("per", LIMIT_PERS, RateLimit.Per.AGENT);
        if (f.get("rps") == null && f.get("rpm") == null) {
            r.error(node, path, "no rps and no rpm (expected: at least one of rps and rpm)");
        }
        if (r.errorCount() > before) {
            return null;
        }
        return construct(r, node, path, () -> new RateLimit(rps, rpm, mode, per));
    }

    // ---- IdentityBindings -------------------------------------------------------------------------------------

    private static void bindingsDocument(YamlNodeReader r, Fields top, List<Located<IdentityBinding>> out) {
        if (top.required("bindings", "a list of {subnet, identity}") == null) {
            return;
        }
        List<Node> items = top.list("bindings", "a list of {subnet, identity}");
        if (items == null) {
            return;
        }
        for (int i = 0; i < items.size(); i++) {
            String path = YamlNodeReader.index("bindings", i);
            Fields f = r.fields(items.get(i), path, "a mapping with keys: subnet, identity", BINDING_KEYS);
            if (f == null) {
                continue;
            }
            int before = r.errorCount();
            Node subnetNode = f.required("subnet", "an IPv4 or IPv6 prefix");
            Cidr subnet = null;
            if (subnetNode != null) {
                String text = r.string(subnetNode, f.pathOf("subnet"), "an IPv4 or IPv6 prefix");
                if (text != null) {
                    try {
                        subnet = Cidr.parse(text);
                    } catch (IllegalArgumentException e) {
                        r.error(subnetNode, f.pathOf("subnet"), e.getMessage());
                    }
                }
            }
            Identity identity = null;
            Node idNode = f.required("identity", "a mapping with keys: " + String.join(", ", IDENTITY_KEYS));
            if (idNode != null) {
                identity = identity(r, idNode, f.pathOf("identity"));
            }
            if (r.errorCount() == before && subnet != null && identity != null) {
                out.add(new Located<>(new IdentityBinding(subnet, identity), r.file(), subnetNode));
            }
        }
    }

    private static Identity identity(YamlNodeReader r, Node node, String path) {
        Fields f = r.fields(node, path, "a mapping with keys: " + String.join(", ", IDENTITY_KEYS), IDENTITY_KEYS);
        if (f == null) {
            return null;
        }
        int before = r.errorCount();
        String expected = "an id: 1-128 of A-Z a-z 0-9 . _ : -";
        Node agent = f.required("agent_id", expected);
        String agentId = agent == null ? null : subjectId(r, agent, f.pathOf("agent_id"));
        String team = optionalId(r, f, "team_id");
        String project = optionalId(r, f, "project_id");
        String env = optionalId(r, f, "environment");
        String tier = optionalId(r, f, "trust_tier");
        boolean active = f.bool("active", true);
        if (r.errorCount() > before || agentId == null) {
            return null;
        }
        return construct(r, node, path,
                () -> new Identity(agentId, team, project, env, tier, AuthMethod.SUBNET, active));
    }

    private static String optionalId(YamlNodeReader r, Fields f, String key) {
        Node n = f.get(key);
        return n == null ? null : subjectId(r, n, f.pathOf(key));
    }

    private static String subjectId(YamlNodeReader r, Node n, String path) {
        String expected = "an id: 1-128 of A-Z a-z 0-9 . _ : -";
        String v = r.string(n, path, expected);
        if (v != null && !SUBJECT_ID.matcher(v).matches()) {
            r.invalid(n, path, expected);
            return null;
        }
        return v;
    }

    // ---- across documents -------------------------------------------------------------------------------------

    private static void crossChecks(List<Located<Policy>> policies, List<Located<IdentityBinding>> bindings,
                                    List<YamlError> errors) {
        Map<String, Located<Policy>> ids = new LinkedHashMap<>();
        for (Located<Policy> p : policies) {
            Located<Policy> first = ids.putIfAbsent(p.value().id(), p);
            if (first != null) {
                errors.add(error(p, "id", "duplicate policy id '" + p.value().id()
                        + "' (expected: unique policy ids; first at " + first.where() + ")"));
            }
        }
        for (int[] o : IdentityBinding.overlaps(bindings.stream().map(b -> b.value().subnet()).toList())) {
            Located<IdentityBinding> a = bindings.get(o[0]);
            Located<IdentityBinding> b = bindings.get(o[1]);
            errors.add(error(b, "subnet", b.value().subnet() + " overlaps " + a.value().subnet() + " at "
                    + a.where() + " (expected: disjoint subnets: a source is one agent)"));
        }
    }

    private static YamlError error(Located<?> at, String keyPath, String message) {
        Mark m = at.node().getStartMark();
        return new YamlError(at.file(), m.getLine() + 1, m.getColumn() + 1, keyPath, message);
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static String id(YamlNodeReader r, Fields f, String key, String expected) {
        Node n = f.required(key, expected);
        if (n == null) {
            return null;
        }
        String v = r.string(n, f.pathOf(key), expected);
        if (v != null && !Ids.ID.matcher(v).matches()) {
            r.invalid(n, f.pathOf(key), expected);
            return null;
        }
        return v;
    }

    /** Builds a record; anything its own validation refuses beyond the parser's checks is reported at the node. */
    private static <T> T construct(YamlNodeReader r, Node at, String path, java.util.function.Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            r.error(at, path, e.getMessage());
            return null;
        }
    }

    private static PolicyException single(String name, String message) {
        return new PolicyException(List.of(new YamlError(name, 0, 0, "", message)));
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\n\\s*", " ");
    }

    private static <E> Map<String, E> codes(E[] values, java.util.function.Function<E, String> code) {
        Map<String, E> m = new LinkedHashMap<>();
        for (E e : values) {
            m.put(code.apply(e), e);
        }
        return m;
    }
}
