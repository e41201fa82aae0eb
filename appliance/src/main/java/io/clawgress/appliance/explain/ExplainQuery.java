package io.clawgress.appliance.explain;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.enforcement.net.HostPattern;
import io.clawgress.enforcement.policy.Explanation;
import io.clawgress.enforcement.policy.PolicyExplainer;
import io.clawgress.enforcement.policy.PolicySnapshot;
import io.clawgress.enforcement.policy.scenario.Endpoints;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * One flow to explain, as {@code clawgressctl policy explain} (options) and {@code GET /v1/policy/explain} (query
 * parameters) describe it: the same fields, checked the same way, so the offline and the live answer agree. Every
 * problem is an {@link IllegalArgumentException} whose message names the field as the caller spelled it
 * ({@code --dest} on the command line, {@code dest} in the API) and says what was expected.
 *
 * @param facts    the flow as the peek stage would see it
 * @param identity the identity established another way (mTLS, JWT ...), or {@code null} for the source's binding
 */
public record ExplainQuery(FlowFacts facts, Identity identity) {

    /** The keys of a given identity, in the order they are documented. */
    public static final List<String> IDENTITY_KEYS = List.of("agent_id", "team_id", "project_id", "environment",
            "trust_tier", "auth", "active");
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}");
    private static final Pattern TARGET = Pattern.compile("[\\x21-\\x7e]{1,8000}");
    /** Longest {@code identity} text accepted from the API (seven keys of ids up to 128 characters). */
    private static final int MAX_IDENTITY_TEXT = 2048;

    public ExplainQuery {
        Objects.requireNonNull(facts, "facts");
    }

    /**
     * The flow's fields as given.
     *
     * @param source   the agent's address, {@code IP[:PORT]} (required)
     * @param dest     the original destination, {@code IP:PORT} (required)
     * @param sni      TLS with this SNI, or null
     * @param tls      TLS (without SNI unless {@code sni} is set)
     * @param host     plaintext HTTP with this Host, or null
     * @param method   HTTP method (implies HTTP; default GET), or null
     * @param path     HTTP request-target (implies HTTP; default /), or null
     * @param identity a given identity's keys ({@link #IDENTITY_KEYS}); empty for the source's binding
     * @param name     how a field is named in messages: {@code k -> "--" + k} for options, {@code k -> k} for query
     *                 parameters
     */
    public static ExplainQuery parse(String source, String dest, String sni, boolean tls, String host, String method,
                                     String path, Map<String, String> identity, UnaryOperator<String> name) {
        if (source == null) {
            throw new IllegalArgumentException(name.apply("source") + " missing (expected: IP[:PORT], the agent's"
                    + " address)");
        }
        if (dest == null) {
            throw new IllegalArgumentException(name.apply("dest") + " missing (expected: IP:PORT, the original"
                    + " destination)");
        }
        InetSocketAddress src = endpoint(name.apply("source"), source, false);
        InetSocketAddress dst = endpoint(name.apply("dest"), dest, true);
        boolean http = host != null || method != null || path != null;
        if (http && (sni != null || tls)) {
            throw new IllegalArgumentException(name.apply("sni") + "/" + name.apply("tls") + " and "
                    + name.apply("host") + "/" + name.apply("method") + "/" + name.apply("path")
                    + " describe different protocols (expected: TLS or HTTP, not both)");
        }
        PeekFacts peek;
        if (sni != null || tls) {
            peek = PeekFacts.tls(sni == null ? null : name(name.apply("sni"), sni, false), List.of(), false);
        } else if (http) {
            String m = method != null ? method : "GET";
            String t = path != null ? path : "/";
            if (!TOKEN.matcher(m).matches()) {
                throw new IllegalArgumentException(name.apply("method") + " '" + m
                        + "' (expected: an HTTP method such as GET)");
            }
            if (!TARGET.matcher(t).matches()) {
                throw new IllegalArgumentException(name.apply("path") + " '" + t + "' (expected: a request-target"
                        + " such as /v1/chat: printable ASCII, no spaces)");
            }
            peek = PeekFacts.http(host == null ? null : name(name.apply("host"), host, true), m, t);
        } else {
            peek = PeekFacts.opaque();
        }
        Identity given = identity.isEmpty() ? null : givenIdentity(identity, name.apply("identity"));
        return new ExplainQuery(new FlowFacts("explain", src, dst, peek), given);
    }

    /**
     * Splits {@code agent_id=bot,team_id=research,auth=jwt} (the API's {@code identity} parameter; the command line
     * has picocli split it) into its keys; a key given twice or a part without {@code =} is refused.
     */
    public static Map<String, String> identityFields(String text, String field) {
        Map<String, String> out = new LinkedHashMap<>();
        if (text == null || text.isEmpty()) {
            return out;
        }
        if (text.length() > MAX_IDENTITY_TEXT) {
            throw new IllegalArgumentException(field + ": " + text.length() + " characters (expected: at most "
                    + MAX_IDENTITY_TEXT + ")");
        }
        for (String part : text.split(",", -1)) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(field + " '" + part + "' (expected: KEY=VALUE, e.g."
                        + " agent_id=bot,auth=jwt)");
            }
            String key = part.substring(0, eq);
            if (out.put(key, part.substring(eq + 1)) != null) {
                throw new IllegalArgumentException(field + " " + key + " given twice (expected: each key once)");
            }
        }
        return out;
    }

    /** The ladder for this flow against {@code snapshot}: {@link PolicyExplainer}, as the offline verb runs it. */
    public Explanation explain(PolicySnapshot snapshot) {
        return PolicyExplainer.explain(snapshot, facts, identity);
    }

    private static InetSocketAddress endpoint(String field, String text, boolean portRequired) {
        try {
            return Endpoints.parse(text, portRequired);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " " + e.getMessage(), e);
        }
    }

    /** As the peek stage yields names: lower-case A-labels; an HTTP Host may be an IP literal. */
    private static String name(String field, String text, boolean ipAllowed) {
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
            throw new IllegalArgumentException(field + " '" + text + "' (expected: a host name; a flow claims one"
                    + " name, never a wildcard)");
        }
        try {
            return HostPattern.parse(text).toString();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " " + e.getMessage(), e);
        }
    }

    private static Identity givenIdentity(Map<String, String> identity, String field) {
        for (String key : identity.keySet()) {
            if (!IDENTITY_KEYS.contains(key)) {
                throw new IllegalArgumentException(field + " " + key + " (expected one of: "
                        + String.join(", ", IDENTITY_KEYS) + ")");
            }
        }
        String agent = identity.get("agent_id");
        String authText = identity.get("auth");
        if (agent == null || authText == null) {
            throw new IllegalArgumentException(field + " needs agent_id and auth (e.g. " + field
                    + " agent_id=bot,auth=jwt)");
        }
        AuthMethod auth = null;
        for (AuthMethod a : AuthMethod.values()) {
            if (a.code().equals(authText)) {
                auth = a;
            }
        }
        if (auth == null) {
            throw new IllegalArgumentException(field + " auth=" + authText + " (expected: subnet, api_key, jwt or"
                    + " mtls)");
        }
        String active = identity.getOrDefault("active", "true");
        if (!active.equals("true") && !active.equals("false")) {
            throw new IllegalArgumentException(field + " active=" + active + " (expected: true or false)");
        }
        try {
            return new Identity(agent, identity.get("team_id"), identity.get("project_id"),
                    identity.get("environment"), identity.get("trust_tier"), auth, Boolean.parseBoolean(active));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + " " + e.getMessage(), e);
        }
    }
}
