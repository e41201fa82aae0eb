package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.appliance.ExitCodes;
import io.clawgress.appliance.explain.ExplainQuery;
import io.clawgress.enforcement.policy.Explanation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code clawgressctl policy explain}: the decision ladder for one flow: how the agent was identified, which policies
 * apply, each rule in decision order with why it matched or not, and the decision. Offline against a directory or a
 * bundle; without one (or with {@code --live}) against the running daemon's active snapshot
 * ({@code GET /v1/policy/explain}), with the same code ({@link ExplainQuery}).
 */
@Command(name = "explain", mixinStandardHelpOptions = true,
        description = {"Explain how the policy decides one flow: identity, applying policies, every candidate rule in"
                + " decision order with why it matched or not, and the decision.",
                "With DIR|BUNDLE: offline, that policy. Without (or with --live): the running daemon's active"
                        + " policy, through its admin socket; the answer names the revision it was evaluated"
                        + " against."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:explained (whatever the verdict)", "1:the daemon refused the request (live)",
                "2:bad arguments", "69:the daemon cannot be reached (live)",
                "77:not allowed (live: the socket's group is needed to read)",
                "78:the policy is invalid, or the bundle or key set cannot be used (offline)"})
final class PolicyExplainCommand extends ApiVerb {

    @Mixin
    TrustOptions trust;

    @Parameters(index = "0", arity = "0..1", paramLabel = "DIR|BUNDLE",
            description = "A policy directory or a signed bundle; without it, the daemon's active policy.")
    Path input;

    @Option(names = "--live", description = "Explain against the running daemon's active policy (the default when"
            + " no DIR|BUNDLE is given).")
    boolean live;

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

    @Option(names = "--json", description = "Print the explanation as JSON (docs/schemas/policy-explain.schema.json;"
            + " live, with the active policy it was evaluated against).")
    boolean json;

    @Override
    protected boolean jsonOutput() {
        return json;
    }

    @Override
    protected int run() throws Failure {
        ExplainQuery query;
        try {
            query = ExplainQuery.parse(source, dest, sni, tls, host, method, path, identity, k -> "--" + k);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        if (input == null || live) {
            return live();
        }
        if (socket != null) {
            throw usage("--socket asks the daemon: give no DIR|BUNDLE (or --live) to explain its active policy");
        }
        if (PolicyInput.isBundle(input) && trust.trustedKeys == null) {
            throw usage(input + " " + PolicyInput.NEEDS_KEYS);
        }
        PolicyInput.Loaded loaded = PolicyInput.load(input, trust.trustedKeys,
                trust.at != null ? trust.at : clock().instant());
        Explanation e = query.explain(loaded.snapshot());
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

    /** {@code GET /v1/policy/explain}: the same query, evaluated by the daemon against its active snapshot. */
    private int live() throws Failure {
        if (input != null) {
            throw usage("--live explains the daemon's active policy: give no DIR|BUNDLE with it");
        }
        if (trust.trustedKeys != null || trust.at != null) {
            throw usage("--trusted-keys and --at check a BUNDLE offline; the daemon's active policy is verified"
                    + " already");
        }
        StringBuilder q = new StringBuilder("/v1/policy/explain?source=").append(TextOutput.encode(source))
                .append("&dest=").append(TextOutput.encode(dest));
        append(q, "sni", sni);
        append(q, "tls", tls ? "true" : null);
        append(q, "host", host);
        append(q, "method", method);
        append(q, "path", path);
        if (!identity.isEmpty()) {
            StringBuilder id = new StringBuilder();
            identity.forEach((k, v) -> id.append(id.isEmpty() ? "" : ",").append(k).append('=').append(v));
            append(q, "identity", id.toString());
        }
        append(q, "all", all ? "true" : null);
        if (json) {
            JsonNode r = get(q.toString());
            printJson(r);
            return ExitCodes.OK;
        }
        AdminClient.Response r = request("GET", q.append("&format=text").toString(), null, null);
        if (r.status() != 200) {
            throw apiFailure(r);
        }
        out().print(new String(r.body(), StandardCharsets.UTF_8));
        return ExitCodes.OK;
    }

    private static void append(StringBuilder q, String name, String value) {
        if (value != null) {
            q.append('&').append(name).append('=').append(TextOutput.encode(value));
        }
    }
}
