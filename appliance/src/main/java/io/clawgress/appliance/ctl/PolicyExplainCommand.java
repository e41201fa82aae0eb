package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.AuthMethod;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.enforcement.net.HostPattern;
import io.clawgress.enforcement.policy.Explanation;
import io.clawgress.enforcement.policy.PolicyExplainer;
import io.clawgress.enforcement.policy.scenario.Endpoints;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code clawgressctl policy explain}: the decision ladder for one flow: how the agent was identified, which policies
 * apply, each rule in decision order with why it matched or not, and the decision.
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Explain how the policy decides one flow: identity, applying policies, every candidate rule in"
                + " decision order with why it matched or not, and the decision."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:explained (whatever the verdict)", "2:bad arguments",
                "78:the policy is invalid, or the bundle or key set cannot be used"})
final class PolicyExplainCommand extends PolicyVerb {

    static final List<String> IDENTITY_KEYS = List.of("agent_id", "team_id", "project_id", "environment",
            "trust_tier", "auth", "active");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}");
    private static final Pattern TARGET = Pattern.compile("[\\x21-\\x7e]{1,8000}");

    @Parameters(index = "0", paramLabel = "DIR|BUNDLE", description = "A policy directory or a signed bundle.")
    Path input;

    @Option(names = "--source", required = true, paramLabel = "IP[:PORT]",
            description = "The agent's address (e.g. 10.10.1.7 or [2001:db8::7]:40000).")
    String source;

    @Option(names = "--dest", required = true, paramLabel = "IP:PORT",
            description = "The original destination (e.g. 104.18.6.192:443 or [2001:db8::1]:443).")
    String dest;

    @Option(names = "--sni", paramLabel = "NAME", description = "TLS with this SNI.")
    String sni;

    @Option(names = "--tls", description = "TLS (without SNI unless --sni is given).")
    boolean tls;

    @Option(names = "--host", paramLabel = "NAME", description = "Plaintext HTTP with this Host.")
    String host;

    @Option(names = "--method", paramLabel = "M", description = "HTTP method (implies HTTP; default GET).")
    String method;

    @Option(names = "--path", paramLabel = "P", description = "HTTP request-target (implies HTTP; default /).")
    String path;

    @Option(names = "--identity", paramLabel = "KEY=VALUE", split = ",",
            description = "Decide as this identity instead of the source's subnet binding (established by mTLS, JWT"
                    + " ...): agent_id and auth required; also team_id, project_id, environment, trust_tier,"
                    + " active. E.g. --identity agent_id=bot,team_id=research,auth=jwt")
    Map<String, String> identity = new LinkedHashMap<>();

    @Option(names = "--all", description = "List every rule, also those naming other destinations.")
    boolean all;

    @Option(names = "--json", description = "Print the explanation as JSON.")
    boolean json;

    @Override
    protected boolean jsonOutput() {
        return json;
    }

    @Override
    protected int run() throws Failure {
        FlowFacts facts = facts();
        Identity given = identity.isEmpty() ? null : givenIdentity();
        PolicyInput.Loaded loaded = load(input);
        Explanation e = PolicyExplainer.explain(loaded.snapshot(), facts, given);
        if (json) {
            ObjectNode o = Json.explanation(e);
            o.put("input", loaded.label());
            out().println(Json.write(o));
        } else {
            for (String line : e.lines(all)) {
                out().println(line);
            }
        }
        return ExitCodes.OK;
    }

    private FlowFacts facts() {
        InetSocketAddress src = endpoint("--source", source, false);
        InetSocketAddress dst = endpoint("--dest", dest, true);
        boolean http = host != null || method != null || path != null;
        if (http && (sni != null || tls)) {
            throw usage("--sni/--tls and --host/--method/--path describe different protocols (expected: TLS or"
                    + " HTTP, not both)");
        }
        PeekFacts peek;
        if (sni != null || tls) {
            peek = PeekFacts.tls(sni == null ? null : name("--sni", sni, false), List.of(), false);
        } else if (http) {
            String m = method != null ? method : "GET";
            String t = path != null ? path : "/";
            if (!TOKEN.matcher(m).matches()) {
                throw usage("--method '" + m + "' (expected: an HTTP method such as GET)");
            }
            if (!TARGET.matcher(t).matches()) {
                throw usage("--path '" + t + "' (expected: a request-target such as /v1/chat: printable ASCII, no"
                        + " spaces)");
            }
            peek = PeekFacts.http(host == null ? null : name("--host", host, true), m, t);
        } else {
            peek = PeekFacts.opaque();
        }
        return new FlowFacts("explain", src, dst, peek);
    }

    private InetSocketAddress endpoint(String option, String text, boolean portRequired) {
        try {
            return Endpoints.parse(text, portRequired);
        } catch (IllegalArgumentException e) {
            throw usage(option + " " + e.getMessage());
        }
    }

    /** As the peek stage yields names: lower-case A-labels; an HTTP Host may be an IP literal. */
    private String name(String option, String text, boolean ipAllowed) {
        if (ipAllowed) {
            try {
                Endpoints.address(text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1)
                        : text);
                return text.toLowerCase(Locale.ROOT);
            } catch (IllegalArgumentException e) {
                // not an address: a name
            }
        }
        if (text.startsWith("*")) {
            throw usage(option + " '" + text + "' (expected: a host name; a flow claims one name, never a wildcard)");
        }
        try {
            return HostPattern.parse(text).toString();
        } catch (IllegalArgumentException e) {
            throw usage(option + " " + e.getMessage());
        }
    }

    private Identity givenIdentity() {
        for (String key : identity.keySet()) {
            if (!IDENTITY_KEYS.contains(key)) {
                throw usage("--identity " + key + " (expected one of: " + String.join(", ", IDENTITY_KEYS) + ")");
            }
        }
        String agent = identity.get("agent_id");
        String authText = identity.get("auth");
        if (agent == null || authText == null) {
            throw usage("--identity needs agent_id and auth (e.g. --identity agent_id=bot,auth=jwt)");
        }
        AuthMethod auth = null;
        for (AuthMethod a : AuthMethod.values()) {
            if (a.code().equals(authText)) {
                auth = a;
            }
        }
        if (auth == null) {
            throw usage("--identity auth=" + authText + " (expected: subnet, api_key, jwt or mtls)");
        }
        String active = identity.getOrDefault("active", "true");
        if (!active.equals("true") && !active.equals("false")) {
            throw usage("--identity active=" + active + " (expected: true or false)");
        }
        try {
            return new Identity(agent, identity.get("team_id"), identity.get("project_id"),
                    identity.get("environment"), identity.get("trust_tier"), auth, Boolean.parseBoolean(active));
        } catch (IllegalArgumentException e) {
            throw usage("--identity " + e.getMessage());
        }
    }
}
