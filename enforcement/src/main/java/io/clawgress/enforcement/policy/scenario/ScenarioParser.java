package io.clawgress.enforcement.policy.scenario;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Termination;
import io.clawgress.enforcement.net.HostPattern;
import io.clawgress.enforcement.policy.PolicyParser;
import io.clawgress.enforcement.yaml.YamlError;
import io.clawgress.enforcement.yaml.YamlException;
import io.clawgress.enforcement.yaml.YamlNodeReader;
import io.clawgress.enforcement.yaml.YamlNodeReader.Fields;
import io.clawgress.enforcement.yaml.YamlSource;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.Node;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Reads a scenarios file ({@code clawgressctl policy test}, docs/clawgressctl.md) as strictly as policies are read:
 * bounded, strict UTF-8, SnakeYAML's compose API only, unknown and duplicate keys refused, scalars typed, and every
 * problem reported at once with file, line, column and what was expected.
 *
 * <pre>
 * apiVersion: clawgress.io/v1
 * kind: PolicyScenarios
 * scenarios:
 *   - name: research bot reaches OpenAI
 *     source: 198.18.1.2
 *     destination: 104.18.6.192:443
 *     tls: {sni: api.openai.com}
 *     expect: {verdict: relay, policy: research-llm, rule: llm-apis}
 * </pre>
 * Blocking file I/O in {@link #parseFile}: never call it on an event loop.
 */
public final class ScenarioParser {

    public static final String KIND = "PolicyScenarios";

    static final List<String> TOP_KEYS = List.of("apiVersion", "kind", "scenarios");
    static final List<String> SCENARIO_KEYS = List.of("name", "source", "destination", "tls", "http", "identity",
            "expect");
    static final List<String> TLS_KEYS = List.of("sni");
    static final List<String> HTTP_KEYS = List.of("host", "method", "path");
    static final List<String> IDENTITY_KEYS = List.of("agent_id", "team_id", "project_id", "environment",
            "trust_tier", "auth", "active");
    static final List<String> EXPECT_KEYS = List.of("verdict", "policy", "rule", "termination", "would_deny",
            "reason_contains");

    static final int MAX_NAME = 200;
    /** RFC 9110 §5.6.2 token: what a request method is made of. */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}");
    /** A request-target as sent: printable ASCII, no spaces (RFC 9112 §3.2). */
    private static final Pattern TARGET = Pattern.compile("[\\x21-\\x7e]{1,8000}");
    private static final Pattern V4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final List<String> VERDICTS = List.of(Expectation.RELAY, Expectation.INTERCEPT,
            Expectation.DENY);
    private static final String VERDICT_TEXT = "relay, intercept or deny";
    /** The terminations a policy decision can carry, in the order error messages list them. */
    private static final Map<String, Termination> TERMINATIONS = codes(
            List.of(Termination.POLICY_DENIED, Termination.SNI_MISSING), Termination::code);
    private static final Map<String, AuthMethod> AUTHS = codes(List.of(AuthMethod.values()), AuthMethod::code);

    private ScenarioParser() {
    }

    /** Reads {@code file} (at most {@link YamlSource#MAX_FILE_BYTES}); errors name it as given. */
    public static List<Scenario> parseFile(Path file) throws ScenarioException {
        String name = file.toString();
        String text;
        try (InputStream in = Files.newInputStream(file)) {
            text = YamlSource.decode(YamlSource.readBounded(in, name), name);
        } catch (YamlException e) {
            throw new ScenarioException(e.errors());
        } catch (IOException e) {
            throw new ScenarioException(List.of(new YamlError(name, 0, 0, "", "cannot read: " + e.getMessage()
                    + " (expected: a readable scenarios file)")));
        }
        return parse(name, text);
    }

    /** Parses one scenarios document; {@code name} appears in errors and in {@link Scenario#file()}. */
    public static List<Scenario> parse(String name, String text) throws ScenarioException {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(text, "text");
        YamlNodeReader r = new YamlNodeReader(name);
        List<Scenario> out = new ArrayList<>();
        Node root = YamlSource.compose(YamlSource.stripBom(text), r);
        if (root == null && r.errorCount() == 0) {
            r.error((Mark) null, "", "no YAML document (expected: a " + KIND + " document)");
        }
        if (root != null) {
            document(r, root, out);
        }
        if (r.errorCount() > 0) {
            throw new ScenarioException(r.sortedErrors());
        }
        return out;
    }

    private static void document(YamlNodeReader r, Node root, List<Scenario> out) {
        r.checkTags(root);
        if (r.errorCount() > 0) {
            return;
        }
        Fields top = r.fields(root, "", "a mapping with keys: " + String.join(", ", TOP_KEYS), TOP_KEYS);
        if (top == null) {
            return;
        }
        Node version = top.required("apiVersion", PolicyParser.API_VERSION);
        if (version != null) {
            String v = r.string(version, "apiVersion", PolicyParser.API_VERSION);
            if (v != null && !v.equals(PolicyParser.API_VERSION)) {
                r.invalid(version, "apiVersion", PolicyParser.API_VERSION);
            }
        }
        Node kind = top.required("kind", KIND);
        if (kind != null) {
            String k = r.string(kind, "kind", KIND);
            if (k != null && !k.equals(KIND)) {
                r.invalid(kind, "kind", KIND + (k.equals(PolicyParser.KIND_POLICY)
                        || k.equals(PolicyParser.KIND_BINDINGS) ? " (this is a policy file: pass it as the policy"
                        + " directory, and the scenarios with --scenarios)" : ""));
            }
        }
        if (top.required("scenarios", "a list of scenarios") == null) {
            return;
        }
        List<Node> items = top.list("scenarios", "a list of scenarios");
        if (items == null) {
            return;
        }
        if (items.isEmpty()) {
            r.error(top.get("scenarios"), "scenarios", "[] (expected: at least one scenario)");
        }
        Map<String, Node> names = new LinkedHashMap<>();
        for (int i = 0; i < items.size(); i++) {
            Scenario s = scenario(r, items.get(i), YamlNodeReader.index("scenarios", i), names, i);
            if (s != null) {
                out.add(s);
            }
        }
    }

    private static Scenario scenario(YamlNodeReader r, Node node, String path, Map<String, Node> names, int index) {
        Fields f = r.fields(node, path, "a mapping with keys: " + String.join(", ", SCENARIO_KEYS), SCENARIO_KEYS);
        if (f == null) {
            return null;
        }
        int before = r.errorCount();
        String name = null;
        Node nameNode = f.required("name", "a name for the scenario");
        if (nameNode != null) {
            name = r.string(nameNode, f.pathOf("name"), "a name of 1-" + MAX_NAME + " characters");
            if (name != null && (name.isBlank() || name.length() > MAX_NAME || name.contains("\n"))) {
                r.invalid(nameNode, f.pathOf("name"), "a name of 1-" + MAX_NAME + " characters on one line");
                name = null;
            }
            if (name != null && names.containsKey(name)) {
                r.error(nameNode, f.pathOf("name"), "duplicate scenario name " + YamlNodeReader.quote(name)
                        + " (expected: unique names; first at line " + (names.get(name).getStartMark().getLine() + 1)
                        + ")");
            } else if (name != null) {
                names.put(name, nameNode);
            }
        }
        InetSocketAddress source = endpoint(r, f, "source", false);
        InetSocketAddress destination = endpoint(r, f, "destination", true);
        PeekFacts peek = peek(r, f, node, path);
        Identity identity = f.get("identity") == null ? null : identity(r, f.get("identity"), f.pathOf("identity"));
        Expectation expect = null;
        Node expectNode = f.required("expect", "a mapping with keys: " + String.join(", ", EXPECT_KEYS));
        if (expectNode != null) {
            expect = expectation(r, expectNode, f.pathOf("expect"));
        }
        if (r.errorCount() > before || name == null || source == null || destination == null || peek == null
                || expect == null) {
            return null;
        }
        FlowFacts facts = new FlowFacts("scenario-" + (index + 1), source, destination, peek);
        return new Scenario(name, r.file(), node.getStartMark().getLine() + 1, facts, identity, expect);
    }

    private static InetSocketAddress endpoint(YamlNodeReader r, Fields f, String key, boolean portRequired) {
        String expected = portRequired ? Endpoints.EXPECTED_ENDPOINT : Endpoints.EXPECTED_SOURCE;
        Node n = f.required(key, expected);
        if (n == null) {
            return null;
        }
        String text = r.string(n, f.pathOf(key), expected);
        if (text == null) {
            return null;
        }
        try {
            return Endpoints.parse(text, portRequired);
        } catch (IllegalArgumentException e) {
            r.error(n, f.pathOf(key), e.getMessage());
            return null;
        }
    }

    /** {@code tls}, {@code http} or neither (opaque bytes); never both. */
    private static PeekFacts peek(YamlNodeReader r, Fields f, Node node, String path) {
        Node tls = f.get("tls");
        Node http = f.get("http");
        if (tls != null && http != null) {
            r.error(http, f.pathOf("http"), "set together with tls (expected: at most one of tls and http: what the"
                    + " first bytes of the flow were)");
            return null;
        }
        if (tls != null) {
            Fields t = r.fields(tls, f.pathOf("tls"), "a mapping with keys: sni ({} for TLS without SNI)", TLS_KEYS);
            if (t == null) {
                return null;
            }
            Node sni = t.get("sni");
            if (sni == null) {
                return PeekFacts.tls(null, List.of(), false);
            }
            String name = hostName(r, sni, t.pathOf("sni"), false);
            return name == null ? null : PeekFacts.tls(name, List.of(), false);
        }
        if (http != null) {
            Fields h = r.fields(http, f.pathOf("http"), "a mapping with keys: host, method, path", HTTP_KEYS);
            if (h == null) {
                return null;
            }
            int before = r.errorCount();
            String host = h.get("host") == null ? null : hostName(r, h.get("host"), h.pathOf("host"), true);
            String method = h.string("method", "an HTTP method such as GET", "GET");
            if (h.get("method") != null && !TOKEN.matcher(method).matches()) {
                r.invalid(h.get("method"), h.pathOf("method"), "an HTTP method such as GET (RFC 9110 §9.1)");
            }
            String target = h.string("path", "a request-target such as /v1/chat?x=1", "/");
            if (h.get("path") != null && !TARGET.matcher(target).matches()) {
                r.invalid(h.get("path"), h.pathOf("path"), "a request-target such as /v1/chat?x=1: printable ASCII,"
                        + " no spaces (RFC 9112 §3.2)");
            }
            return r.errorCount() > before ? null : PeekFacts.http(host, method, target);
        }
        return PeekFacts.opaque();
    }

    /**
     * A host name as the peek stage yields it: lower case A-labels, no trailing dot (so {@code Bücher.example} is
     * {@code xn--bcher-kva.example}). An HTTP Host may also be an IP literal, which policies treat as no name.
     */
    private static String hostName(YamlNodeReader r, Node n, String path, boolean ipAllowed) {
        String expected = ipAllowed ? "a host name or an IP address, without port" : "a host name (RFC 6066 §3: an SNI"
                + " is never an IP address)";
        String text = r.string(n, path, expected);
        if (text == null) {
            return null;
        }
        if (ipAllowed && (V4.matcher(text).matches() || (text.startsWith("[") && text.endsWith("]")))) {
            try {
                Endpoints.address(text.startsWith("[") ? text.substring(1, text.length() - 1) : text);
                return text.toLowerCase(Locale.ROOT);
            } catch (IllegalArgumentException e) {
                r.invalid(n, path, expected);
                return null;
            }
        }
        if (text.startsWith("*")) {
            r.invalid(n, path, expected + "; a flow claims one name, never a wildcard");
            return null;
        }
        try {
            return HostPattern.parse(text).toString();
        } catch (IllegalArgumentException e) {
            r.error(n, path, e.getMessage().replace("(expected: ", "(expected: " + expected + "; "));
            return null;
        }
    }

    private static Identity identity(YamlNodeReader r, Node node, String path) {
        Fields f = r.fields(node, path, "a mapping with keys: " + String.join(", ", IDENTITY_KEYS), IDENTITY_KEYS);
        if (f == null) {
            return null;
        }
        int before = r.errorCount();
        String expected = "an id: 1-128 of A-Z a-z 0-9 . _ : -";
        String agent = f.required("agent_id", expected) == null ? null : f.string("agent_id", expected, null);
        String team = f.string("team_id", expected, null);
        String project = f.string("project_id", expected, null);
        String env = f.string("environment", expected, null);
        String tier = f.string("trust_tier", expected, null);
        AuthMethod auth = null;
        Node authNode = f.required("auth", "one of: " + String.join(", ", AUTHS.keySet()));
        if (authNode != null) {
            auth = r.choice(authNode, f.pathOf("auth"), AUTHS);
        }
        boolean active = f.bool("active", true);
        if (r.errorCount() > before || agent == null || auth == null) {
            return null;
        }
        try {
            return new Identity(agent, team, project, env, tier, auth, active);
        } catch (IllegalArgumentException e) {
            r.error(node, path, e.getMessage());
            return null;
        }
    }

    private static Expectation expectation(YamlNodeReader r, Node node, String path) {
        Fields f = r.fields(node, path, "a mapping with keys: " + String.join(", ", EXPECT_KEYS), EXPECT_KEYS);
        if (f == null) {
            return null;
        }
        int before = r.errorCount();
        String verdict = null;
        Node v = f.required("verdict", VERDICT_TEXT);
        if (v != null) {
            String text = r.string(v, f.pathOf("verdict"), VERDICT_TEXT);
            if (text != null && !VERDICTS.contains(text)) {
                r.invalid(v, f.pathOf("verdict"), VERDICT_TEXT + (text.equals("allow")
                        ? " (the verdict, not the rule's action: an allowed flow is relayed)" : ""));
            } else {
                verdict = text;
            }
        }
        String policy = f.string("policy", "a policy id", null);
        String rule = f.string("rule", "a rule id", null);
        Termination termination = f.choice("termination", TERMINATIONS, null);
        Boolean wouldDeny = f.get("would_deny") == null ? null : r.bool(f.get("would_deny"), f.pathOf("would_deny"));
        String reason = f.string("reason_contains", "text the reason contains", null);
        if (reason != null && reason.isEmpty()) {
            r.invalid(f.get("reason_contains"), f.pathOf("reason_contains"), "non-empty text");
        }
        if (r.errorCount() > before || verdict == null) {
            return null;
        }
        try {
            return new Expectation(verdict, policy, rule, termination, wouldDeny, reason);
        } catch (IllegalArgumentException e) {
            r.error(node, path, e.getMessage());
            return null;
        }
    }

    private static <E> Map<String, E> codes(List<E> values, java.util.function.Function<E, String> code) {
        Map<String, E> m = new LinkedHashMap<>();
        values.forEach(v -> m.put(code.apply(v), v));
        return m;
    }
}
