package io.clawgress.enforcement.policy;

import io.clawgress.api.AuthMethod;
import io.clawgress.api.DialMode;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.enforcement.agents.AgentDirectory;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.agents.AgentStatus;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The decision ladder as a table: facts in, verdict, policy, rule and reason out, against the policy directory
 * {@code src/test/resources/policy/table} (parsed, so the parser is exercised too).
 */
class PolicyDecisionTableTest {

    static final Path DIR = Path.of("src/test/resources/policy/table");
    static final String REVISION = "rev-42";

    private static PolicySnapshot snapshot;

    @BeforeAll
    static void compile() throws PolicyException {
        snapshot = PolicyCompiler.compile(PolicyParser.parseDirectory(DIR), REVISION);
    }

    /** Who is asking: a subnet-bound source, or an identity established another way. */
    static Optional<Identity> who(String key) {
        return switch (key) {
            case "research" -> Optional.of(id("research-bot", "research", "dev", AuthMethod.SUBNET, true));
            case "research-jwt" -> Optional.of(id("research-bot", "research", "dev", AuthMethod.JWT, true));
            case "research-mtls" -> Optional.of(id("research-bot", "research", "dev", AuthMethod.MTLS, true));
            case "research-prod" -> Optional.of(id("research-bot", "research", "prod", AuthMethod.SUBNET, true));
            case "billing" -> Optional.of(id("billing-bot", "billing", "prod", AuthMethod.SUBNET, true));
            case "billing-api-key" -> Optional.of(id("billing-bot", "billing", "prod", AuthMethod.API_KEY, true));
            case "billing-mtls" -> Optional.of(id("billing-bot", "billing", "prod", AuthMethod.MTLS, true));
            case "retired" -> Optional.of(id("retired-bot", "research", "dev", AuthMethod.SUBNET, false));
            case "v6" -> Optional.of(id("v6-bot", "research", "dev", AuthMethod.SUBNET, true));
            case "nobody" -> Optional.empty();
            default -> throw new IllegalArgumentException(key);
        };
    }

    private static Identity id(String agent, String team, String env, AuthMethod auth, boolean active) {
        return new Identity(agent, team, null, env, null, auth, active);
    }

    /** {@code none}, {@code opaque}, {@code tls:SNI} ({@code tls:} for no SNI), {@code http:HOST METHOD TARGET}. */
    static PeekFacts peek(String spec) {
        if (spec.equals("none")) {
            return PeekFacts.none();
        }
        if (spec.equals("opaque")) {
            return PeekFacts.opaque();
        }
        if (spec.startsWith("tls:")) {
            String sni = spec.substring(4);
            return PeekFacts.tls(sni.isEmpty() ? null : sni, List.of("h2"), false);
        }
        String[] p = spec.substring(5).split(" ");
        return PeekFacts.http(p[0], p[1], p[2]);
    }

    static InetSocketAddress endpoint(String text) {
        int colon = text.lastIndexOf(':');
        String host = text.substring(0, colon).replace("[", "").replace("]", "");
        try {
            return new InetSocketAddress(InetAddress.getByName(host), Integer.parseInt(text.substring(colon + 1)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static FlowFacts facts(String who, String peek, String dst) {
        String src = who.equals("v6") ? "[2001:db8:1::7]:40000" : "198.18.1.2:40000";
        return new FlowFacts("f-1", endpoint(src), endpoint(dst), peek(peek));
    }

    private static Arguments c(String name, String who, String peek, String dst, String verdict, String policy,
                               String rule) {
        return Arguments.of(name, who, peek, dst, verdict, policy, rule);
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                // exact and wildcard names
                c("exact host allowed", "research", "tls:api.openai.com", "104.18.6.192:443",
                        "relay", "research-llm", "llm-apis"),
                c("exact host, wrong port", "research", "tls:api.openai.com", "104.18.6.192:8443",
                        "deny", null, "default"),
                c("exact host over http on a TLS-only port list", "research", "http:api.openai.com GET /",
                        "104.18.6.192:80", "deny", null, "default"),
                c("wildcard matches a subdomain", "research", "tls:api.anthropic.com", "160.79.104.10:443",
                        "relay", "research-llm", "llm-apis"),
                c("wildcard matches a deep subdomain", "research", "tls:a.b.anthropic.com", "160.79.104.10:443",
                        "relay", "research-llm", "llm-apis"),
                c("wildcard does not match the bare domain", "research", "tls:anthropic.com", "160.79.104.10:443",
                        "deny", null, "default"),
                c("wildcard does not match a lookalike", "research", "tls:evilanthropic.com", "160.79.104.10:443",
                        "deny", null, "default"),
                c("wildcard does not match a suffix extension", "research", "tls:api.anthropic.com.evil.io",
                        "160.79.104.10:443", "deny", null, "default"),
                c("exact reported over wildcard at equal rank", "research", "tls:api.github.com", "140.82.112.3:443",
                        "relay", "research-wide", "gh-api"),
                c("wildcard allow for other subdomains", "research", "tls:raw.github.com", "140.82.112.3:443",
                        "relay", "research-wide", "github"),
                c("exact apex next to its wildcard", "research", "tls:github.com", "140.82.112.3:443",
                        "relay", "research-wide", "github"),
                c("IDN rule matches the A-label name", "research", "tls:xn--bcher-kva.example", "192.0.2.10:443",
                        "relay", "research-wide", "books"),
                c("HTTP Host names are matched like SNI", "research", "http:raw.github.com GET /", "140.82.112.3:443",
                        "relay", "research-wide", "github"),
                // deny wins ties, priority decides first
                c("exact deny beats wildcard allow at equal priority", "research", "tls:gist.github.com",
                        "140.82.112.4:443", "deny", "research-wide", "no-gist"),
                c("wildcard deny beats exact allow of another policy at equal priority", "research",
                        "tls:chat.example.net", "192.0.2.20:443", "deny", "research-wide", "no-chat"),
                c("higher priority allow beats lower priority deny", "research", "tls:downloads.example.net",
                        "192.0.2.21:443", "relay", "research-override", "downloads"),
                c("higher priority allow only on its port", "research", "tls:downloads.example.net",
                        "192.0.2.21:80", "deny", "research-wide", "no-chat"),
                c("guardrail exact deny", "research", "tls:pastebin.com", "104.20.1.1:443",
                        "deny", "guardrails", "no-paste"),
                c("guardrail wildcard deny", "research", "tls:x.pastebin.com", "104.20.1.1:443",
                        "deny", "guardrails", "no-paste"),
                c("address deny at higher priority beats a name allow", "research", "tls:api.openai.com",
                        "169.254.169.254:443", "deny", "guardrails", "no-metadata"),
                c("metadata by address, nothing peeked", "research", "none", "169.254.169.254:80",
                        "deny", "guardrails", "no-metadata"),
                // CIDR tables
                c("cidr allow", "research", "none", "10.20.1.1:8000", "relay", "research-llm", "internal"),
                c("cidr longest prefix reported among allows", "research", "none", "10.20.7.1:8080",
                        "relay", "research-llm", "internal-web"),
                c("cidr deny inside a wider allow", "research", "none", "10.20.5.9:8080",
                        "deny", "research-llm", "internal-db"),
                c("cidr outside every prefix", "research", "none", "10.21.0.1:8080", "deny", null, "default"),
                c("cidr port range upper bound", "research", "opaque", "10.20.1.1:8100",
                        "relay", "research-llm", "internal"),
                c("cidr port range exceeded", "research", "opaque", "10.20.1.1:8101", "deny", null, "default"),
                c("cidr port range lower bound", "research", "opaque", "10.20.1.1:7999", "deny", null, "default"),
                c("TLS without SNI allowed by an address rule", "research", "tls:", "10.20.7.1:8080",
                        "relay", "research-llm", "internal-web"),
                c("TLS without SNI and no address rule", "research", "tls:", "104.18.6.192:443",
                        "deny", null, "sni_missing"),
                c("IP literal Host is decided on the address", "research", "http:10.20.7.1 GET /", "10.20.7.1:8080",
                        "relay", "research-llm", "internal-web"),
                c("IP literal SNI matches no host rule", "research", "tls:104.18.6.192", "104.18.6.192:443",
                        "deny", null, "default"),
                // HTTP method and path
                c("method and path prefix match", "research", "http:api.example-llm.com POST /v1/chat",
                        "192.0.2.30:80", "relay", "research-llm", "llm-http"),
                c("absolute-form target", "research",
                        "http:api.example-llm.com POST http://api.example-llm.com/v1/chat", "192.0.2.30:80",
                        "relay", "research-llm", "llm-http"),
                c("query string ignored for the path", "research", "http:api.example-llm.com POST /v1/chat?x=/v2",
                        "192.0.2.30:80", "relay", "research-llm", "llm-http"),
                c("wrong method", "research", "http:api.example-llm.com GET /v1/chat", "192.0.2.30:80",
                        "deny", null, "default"),
                c("methods are case-sensitive", "research", "http:api.example-llm.com post /v1/chat",
                        "192.0.2.30:80", "deny", null, "default"),
                c("path outside the prefix", "research", "http:api.example-llm.com POST /v2/chat", "192.0.2.30:80",
                        "deny", null, "default"),
                c("prefix needs the trailing slash", "research", "http:api.example-llm.com POST /v1", "192.0.2.30:80",
                        "deny", null, "default"),
                c("path deny beats path allow at equal priority", "research",
                        "http:api.example-llm.com POST /v1/admin/users", "192.0.2.30:80",
                        "deny", "research-llm", "no-admin"),
                c("dot segments: allow does not match, deny does", "research",
                        "http:api.example-llm.com POST /v1/../v1/admin", "192.0.2.30:80",
                        "deny", "research-llm", "no-admin"),
                c("encoded slash is ambiguous", "research", "http:api.example-llm.com POST /v1%2fchat",
                        "192.0.2.30:80", "deny", "research-llm", "no-admin"),
                c("http rule cannot match TLS facts", "research", "tls:api.example-llm.com", "192.0.2.30:80",
                        "deny", null, "default"),
                // subjects and min_auth
                c("other team's policy does not apply", "billing", "tls:api.openai.com", "104.18.6.192:443",
                        "deny", null, "default"),
                c("environment selector excludes prod", "research-prod", "tls:api.openai.com", "104.18.6.192:443",
                        "deny", null, "default"),
                c("policy without environment selector still applies", "research-prod", "tls:raw.github.com",
                        "140.82.112.3:443", "relay", "research-wide", "github"),
                c("billing allowed its own host", "billing", "tls:api.stripe.com", "192.0.2.40:443",
                        "relay", "billing", "stripe"),
                c("billing db by address", "billing", "none", "10.30.1.5:5432", "relay", "billing", "db"),
                c("min_auth mtls refuses subnet identity", "billing", "tls:payouts.stripe.com", "192.0.2.41:443",
                        "deny", null, "default"),
                c("min_auth mtls refuses api_key identity", "billing-api-key", "tls:payouts.stripe.com",
                        "192.0.2.41:443", "deny", null, "default"),
                c("min_auth mtls accepts mtls", "billing-mtls", "tls:payouts.stripe.com", "192.0.2.41:443",
                        "relay", "billing-strong", "payouts"),
                c("min_auth jwt refuses subnet on a request", "research", "http:vault.example.org GET /v1/x",
                        "192.0.2.50:443", "deny", null, "default"),
                c("min_auth jwt accepts jwt on a request", "research-jwt", "http:vault.example.org GET /v1/x",
                        "192.0.2.50:443", "relay", "research-jwt", "secrets"),
                c("min_auth jwt accepts the stronger mtls on a request", "research-mtls",
                        "http:vault.example.org GET /v1/x", "192.0.2.50:443", "relay", "research-jwt", "secrets"),
                c("min_auth jwt: a subnet identity's TLS is intercepted, the JWT is checked per request", "research",
                        "tls:vault.example.org", "192.0.2.50:443", "intercept", "research-jwt", "secrets"),
                c("min_auth jwt: a jwt identity's TLS is intercepted by its rule", "research-jwt",
                        "tls:vault.example.org", "192.0.2.50:443", "intercept", "research-jwt", "secrets"),
                c("stronger auth still gets weaker policies", "research-mtls", "tls:api.openai.com",
                        "104.18.6.192:443", "relay", "research-llm", "llm-apis"),
                c("agent_id selector", "v6", "tls:v6.example.com", "[2001:db8:100::1]:443",
                        "relay", "agent-specific", "v6-host"),
                c("agent_id selector excludes others", "research", "tls:v6.example.com", "192.0.2.60:443",
                        "deny", null, "default"),
                // identity
                c("unbound source", "nobody", "tls:api.openai.com", "104.18.6.192:443",
                        "deny", null, "unbound_source"),
                c("disabled agent", "retired", "tls:api.openai.com", "104.18.6.192:443",
                        "deny", null, "agent_disabled"),
                // report mode
                c("report-mode deny relays (would_deny)", "research", "tls:models.huggingface.co", "192.0.2.70:443",
                        "relay", "report-trial", "block-hf"),
                c("report-mode deny with nothing else allowing still relays", "research",
                        "tls:report-only.example.io", "192.0.2.71:443", "relay", "report-trial", "block-hf"),
                c("report-mode allow relays", "research", "tls:trial.example.io", "192.0.2.72:443",
                        "relay", "report-trial", "trial-allow"),
                c("report-mode does not beat an enforced higher priority deny", "research", "tls:x.pastebin.com",
                        "104.20.1.1:443", "deny", "guardrails", "no-paste"),
                // IPv6
                c("IPv6 cidr allow", "v6", "none", "[2001:db8:100:1::1]:443", "relay", "agent-specific", "v6-api"),
                c("IPv6 longer deny prefix", "v6", "none", "[2001:db8:100:5::1]:443",
                        "deny", "agent-specific", "v6-narrow"),
                c("IPv6 metadata host prefix", "v6", "none", "[fd00:ec2::254]:80", "deny", "guardrails",
                        "no-metadata-v6"),
                c("IPv6 next to the host prefix", "v6", "none", "[fd00:ec2::253]:80", "deny", null, "default"),
                c("IPv6 outside", "v6", "none", "[2001:db8:200::1]:443", "deny", null, "default"),
                c("IPv6 port mismatch", "v6", "none", "[2001:db8:100:1::1]:80", "deny", null, "default"),
                c("IPv4 rules never match IPv6", "research", "none", "[::ffff:a14:701]:8080",
                        "relay", "research-llm", "internal-web"),
                // intercept: decided on the SNI and port, then per request behind the L7 gate
                c("intercept rule without http decides the ClientHello", "research", "tls:inspect.example.ai",
                        "192.0.2.80:443", "intercept", "research-intercept", "llm-inspect"),
                c("wildcard intercept", "research", "tls:api.inspect.example.ai", "192.0.2.81:443",
                        "intercept", "research-intercept", "llm-inspect"),
                c("wildcard intercept, deep subdomain", "research", "tls:a.b.inspect.example.ai", "192.0.2.81:443",
                        "intercept", "research-intercept", "llm-inspect"),
                c("unbound source and an intercepted name: intercept", "nobody", "tls:inspect.example.ai",
                        "192.0.2.80:443", "intercept", "research-intercept", "llm-inspect"),
                c("unbound source: intercepted whatever the subjects and denies, decided per request", "nobody",
                        "tls:secrets.inspect.example.ai", "192.0.2.81:443", "intercept", "research-intercept",
                        "llm-inspect"),
                c("bound agent default deny and an intercepted name: intercept", "billing",
                        "tls:inspect.example.ai", "192.0.2.80:443", "intercept", "research-intercept",
                        "llm-inspect"),
                c("intercept rule with http: no ClientHello match, intercepted by name", "research",
                        "tls:tools.example.ai", "192.0.2.82:443", "intercept", "research-intercept", "tools-post"),
                c("a relay by a rule without intercept stays a splice", "research", "tls:docs.example.ai",
                        "192.0.2.83:443", "relay", "research-intercept", "docs-splice"),
                c("the same name for an agent no splice rule allows: intercept", "billing", "tls:docs.example.ai",
                        "192.0.2.83:443", "intercept", "research-intercept", "docs-private"),
                c("explicit deny on the ClientHello refuses before interception", "research",
                        "tls:secrets.inspect.example.ai", "192.0.2.81:443", "deny", "research-intercept",
                        "no-inspect-secrets"),
                c("explicit deny by address refuses before interception", "research", "tls:inspect.example.ai",
                        "169.254.169.254:443", "deny", "guardrails", "no-metadata"),
                c("disabled agent is not intercepted", "retired", "tls:inspect.example.ai", "192.0.2.80:443",
                        "deny", null, "agent_disabled"),
                c("port mismatch: no intercept", "research", "tls:inspect.example.ai", "192.0.2.80:8443",
                        "deny", null, "default"),
                c("port mismatch, unbound: no intercept", "nobody", "tls:inspect.example.ai", "192.0.2.80:8443",
                        "deny", null, "unbound_source"),
                c("a name no intercept pattern covers", "research", "tls:example.ai",
                        "192.0.2.80:443", "deny", null, "default"),
                c("CIDR-only intercept rule relays", "research", "tls:cidr.example.ai", "192.0.2.130:443",
                        "relay", "research-intercept", "cidr-inspect"),
                c("CIDR-only intercept rule does not intercept for others", "billing", "tls:cidr.example.ai",
                        "192.0.2.130:443", "deny", null, "default"),
                c("CIDR-only intercept rule does not intercept unbound sources", "nobody", "tls:cidr.example.ai",
                        "192.0.2.130:443", "deny", null, "unbound_source"),
                c("TLS without SNI is never intercepted", "billing", "tls:", "192.0.2.80:443",
                        "deny", null, "sni_missing"),
                c("IP literal SNI is never intercepted", "nobody", "tls:192.0.2.80", "192.0.2.80:443",
                        "deny", null, "unbound_source"),
                c("report-mode deny relays where an intercept rule matches", "research", "tls:hub.huggingface.co",
                        "192.0.2.84:443", "relay", "report-trial", "block-hf"),
                c("intercept rule on plaintext HTTP decides like an allow rule", "research",
                        "http:tools.example.ai POST /v1/run", "192.0.2.82:80", "relay", "research-intercept",
                        "tools-post"),
                c("intercept rule on plaintext HTTP: path outside denied", "research",
                        "http:tools.example.ai POST /v2/run", "192.0.2.82:80", "deny", null, "default"),
                c("intercept rule on plaintext HTTP: method outside denied", "research",
                        "http:tools.example.ai GET /v1/run", "192.0.2.82:80", "deny", null, "default"),
                c("intercepted request allowed by path", "research", "http:docs.example.ai GET /private/notes",
                        "192.0.2.83:443", "relay", "research-intercept", "docs-private"),
                c("intercepted request of another agent denied", "billing", "http:docs.example.ai GET /private/x",
                        "192.0.2.83:443", "deny", null, "default"),
                c("unbound source on plaintext HTTP is not intercepted", "nobody",
                        "http:tools.example.ai POST /v1/run", "192.0.2.82:80", "deny", null, "unbound_source"),
                // default deny
                c("nothing matches", "research", "tls:example.com", "93.184.216.34:443", "deny", null, "default"),
                c("opaque bytes to an unknown address", "research", "opaque", "93.184.216.34:22",
                        "deny", null, "default"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decides(String name, String who, String peek, String dst, String verdict, String policy, String rule) {
        PolicyDecision d = snapshot.decide(facts(who, peek, dst), who(who));
        assertThat(d.verdict().name()).as("verdict: " + d.reason()).isEqualTo(verdict);
        assertThat(d.ruleId()).as("rule: " + d.reason()).isEqualTo(rule);
        assertThat(d.policyId()).as("policy: " + d.reason()).isEqualTo(policy);
        assertThat(d.verdict().ruleId()).isEqualTo(rule);
        assertThat(d.revision()).isEqualTo(REVISION);
        assertThat(d.reason()).isEqualTo(d.verdict().reason()).isNotBlank();
        assertThat(d.wouldDeny()).isEqualTo(d.mode() == Mode.REPORT && d.reason().startsWith("would be denied"));
    }

    @Test
    void allowByNameDialsAResolvedAddressAndSaysWhy() {
        PolicyDecision d = snapshot.decide(facts("research", "tls:api.openai.com", "104.18.6.192:443"),
                who("research"));
        assertThat(d.verdict()).isEqualTo(new Verdict.Relay(endpoint("104.18.6.192:443"), "api.openai.com",
                DialMode.RESOLVED, "llm-apis",
                "allowed by policy research-llm rule llm-apis: api.openai.com port 443"));
        assertThat(d.mode()).isEqualTo(Mode.ENFORCE);
        assertThat(d.wouldDeny()).isFalse();
    }

    @Test
    void allowByAddressDialsTheOriginal() {
        PolicyDecision d = snapshot.decide(facts("research", "none", "10.20.7.1:8080"), who("research"));
        assertThat(d.verdict()).isEqualTo(new Verdict.Relay(endpoint("10.20.7.1:8080"), "internal-web",
                "allowed by policy research-llm rule internal-web: 10.20.7.0/24 port 8000-8100"));
    }

    @Test
    void denyReasonsNameTheRuleAndDestination() {
        PolicyDecision d = snapshot.decide(facts("research", "http:api.example-llm.com POST /v1/admin/x",
                "192.0.2.30:80"), who("research"));
        assertThat(d.verdict()).isEqualTo(new Verdict.Deny(Termination.POLICY_DENIED, "no-admin",
                "denied by policy research-llm rule no-admin: api.example-llm.com port 80, http any method"
                        + " /v1/admin*"));
    }

    @Test
    void defaultDenyNamesAgentNameAndAddress() {
        PolicyDecision d = snapshot.decide(facts("research", "tls:example.com", "93.184.216.34:443"),
                who("research"));
        assertThat(d.verdict()).isEqualTo(new Verdict.Deny(Termination.POLICY_DENIED, "default",
                "no rule allows agent research-bot to reach example.com at 93.184.216.34:443 (default deny)"));
        assertThat(d.policyId()).isNull();
        assertThat(d.mode()).isEqualTo(Mode.ENFORCE);
    }

    @Test
    void sniMissingHasItsOwnTermination() {
        PolicyDecision d = snapshot.decide(facts("research", "tls:", "104.18.6.192:443"), who("research"));
        assertThat(d.verdict()).isEqualTo(new Verdict.Deny(Termination.SNI_MISSING, "sni_missing",
                "TLS to 104.18.6.192:443 without SNI, and no address rule allows it"));
    }

    @Test
    void reportModeRelaysAndRecordsWouldDeny() {
        PolicyDecision d = snapshot.decide(facts("research", "tls:models.huggingface.co", "192.0.2.70:443"),
                who("research"));
        assertThat(d.verdict()).isEqualTo(new Verdict.Relay(endpoint("192.0.2.70:443"), "models.huggingface.co",
                DialMode.RESOLVED, "block-hf", "would be denied by policy report-trial rule block-hf:"
                + " *.huggingface.co (report mode: relayed)"));
        assertThat(d.mode()).isEqualTo(Mode.REPORT);
        assertThat(d.wouldDeny()).isTrue();
    }

    @Test
    void interceptCarriesTheSniTheDestinationsDialAndTheRule() {
        PolicyDecision d = snapshot.decide(facts("research", "tls:api.inspect.example.ai", "192.0.2.81:443"),
                who("research"));
        String reason = "intercepted by policy research-intercept rule llm-inspect: TLS terminated so each request is"
                + " decided";
        assertThat(d.verdict()).isEqualTo(new Verdict.Intercept(endpoint("192.0.2.81:443"), "api.inspect.example.ai",
                DialMode.ORIGINAL_IF_RESOLVED, "llm-inspect", reason));
        assertThat(d.reason()).isEqualTo(reason);
        assertThat(d.policyId()).isEqualTo("research-intercept");
        assertThat(d.mode()).isEqualTo(Mode.ENFORCE);
        assertThat(d.wouldDeny()).isFalse();
        assertThat(d.intercepted()).isTrue();
        assertThat(d.relayed()).isFalse();

        PolicyDecision byName = snapshot.decide(facts("nobody", "tls:inspect.example.ai", "192.0.2.80:443"),
                who("nobody"));
        assertThat(byName.verdict()).isEqualTo(new Verdict.Intercept(endpoint("192.0.2.80:443"),
                "inspect.example.ai", DialMode.RESOLVED, "llm-inspect", reason));
    }

    @Test
    void deciderPassesThePolicyIdAndDecidesEachInterceptedRequest() {
        PolicyDecider decider = new PolicyDecider(() -> snapshot);
        FlowFacts hello = new FlowFacts("f", endpoint("198.51.100.1:1234"), endpoint("192.0.2.83:443"),
                PeekFacts.tls("docs.example.ai", List.of("http/1.1"), false));
        var connection = decider.decide(hello);
        assertThat(connection.identity()).as("unbound: an identity may be proven inside").isEmpty();
        assertThat(connection.verdict()).isInstanceOf(Verdict.Intercept.class);
        assertThat(connection.policyId()).isEqualTo("research-intercept");
        assertThat(connection.verdict().ruleId()).isEqualTo("docs-private");

        // What the L7 gate asks for each request: the request's facts and the identity proven on the connection.
        Identity proven = id("research-bot", "research", "dev", AuthMethod.MTLS, true);
        var allowed = decider.decide(hello.withPeek(PeekFacts.http("docs.example.ai", "GET", "/private/a"))
                .withPresented(proven));
        assertThat(allowed.verdict()).isInstanceOf(Verdict.Relay.class);
        assertThat(allowed.verdict().ruleId()).isEqualTo("docs-private");
        assertThat(allowed.policyId()).isEqualTo("research-intercept");
        var splice = decider.decide(hello.withPeek(PeekFacts.http("docs.example.ai", "GET", "/public"))
                .withPresented(proven));
        assertThat(splice.verdict().ruleId()).as("any path: the plain allow").isEqualTo("docs-splice");
        var anonymous = decider.decide(hello.withPeek(PeekFacts.http("docs.example.ai", "GET", "/private/a")));
        assertThat(anonymous.verdict().ruleId()).as("no identity proven").isEqualTo("unbound_source");
        assertThat(anonymous.policyId()).isNull();
        var other = decider.decide(hello.withPeek(PeekFacts.http("docs.example.ai", "GET", "/private/a"))
                .withPresented(id("billing-bot", "billing", "prod", AuthMethod.JWT, true)));
        assertThat(other.verdict().ruleId()).isEqualTo("default");
    }

    @Test
    void interceptPatternsAreEveryInterceptHostPatternSorted() {
        assertThat(snapshot.interceptPatterns()).containsExactly("*.inspect.example.ai", "docs.example.ai",
                "hub.huggingface.co", "inspect.example.ai", "tools.example.ai", "vault.example.org");
        assertThat(PolicySnapshot.denyAll("none").interceptPatterns()).isEmpty();
    }

    @Test
    void deciderTakesIdentityFromSubnetBindings() {
        PolicyDecider decider = new PolicyDecider(() -> snapshot);
        var d = decider.decide(new FlowFacts("f", endpoint("198.18.2.9:1234"), endpoint("192.0.2.40:443"),
                PeekFacts.tls("api.stripe.com", List.of(), false)));
        assertThat(d.identity().map(Identity::agentId)).contains("billing-bot");
        assertThat(d.verdict().ruleId()).isEqualTo("stripe");
        assertThat(d.policyRevision()).isEqualTo(REVISION);
        var v6 = decider.decide(new FlowFacts("f", endpoint("[2001:db8:1::99]:1234"),
                endpoint("[2001:db8:100::1]:443")));
        assertThat(v6.identity().map(Identity::agentId)).contains("v6-bot");
        assertThat(v6.verdict().ruleId()).isEqualTo("v6-api");
        var retired = decider.decide(new FlowFacts("f", endpoint("198.18.3.9:1234"), endpoint("192.0.2.40:443")));
        assertThat(retired.verdict().ruleId()).isEqualTo("agent_disabled");
        var unbound = decider.decide(new FlowFacts("f", endpoint("198.51.100.1:1234"), endpoint("192.0.2.40:443")));
        assertThat(unbound.identity()).isEmpty();
        assertThat(unbound.verdict().reason()).isEqualTo("source 198.51.100.1 is bound to no agent identity");
    }

    @Test
    void deciderPrefersAProvenIdentityToTheSubnetBinding() {
        PolicyDecider decider = new PolicyDecider(() -> snapshot);
        FlowFacts fromBillingSubnet = new FlowFacts("f", endpoint("198.18.2.9:1234"), endpoint("192.0.2.41:443"),
                PeekFacts.tls("payouts.stripe.com", List.of(), false));
        assertThat(decider.decide(fromBillingSubnet).verdict()).as("min_auth mtls refuses the subnet identity")
                .isInstanceOf(Verdict.Deny.class);

        Identity proven = id("billing-bot", "billing", "prod", AuthMethod.MTLS, true);
        var d = decider.decide(fromBillingSubnet.withPresented(proven));
        assertThat(d.identity()).contains(proven);
        assertThat(d.verdict()).isInstanceOf(Verdict.Relay.class);

        var fromNowhere = decider.decide(new FlowFacts("f", endpoint("198.51.100.1:1234"),
                endpoint("192.0.2.41:443"), PeekFacts.tls("payouts.stripe.com", List.of(), false))
                .withPresented(proven));
        assertThat(fromNowhere.identity()).as("the proof names the agent wherever it connects from").contains(proven);
        assertThat(fromNowhere.verdict()).isInstanceOf(Verdict.Relay.class);

        var disabled = decider.decide(fromBillingSubnet.withPresented(
                id("billing-bot", "billing", "prod", AuthMethod.MTLS, false)));
        assertThat(disabled.verdict().ruleId()).isEqualTo("agent_disabled");
    }

    @Test
    void anAgentTheRegistryDisabledIsDeniedWhateverTheBindingSays() {
        AtomicReference<AgentDirectory> registry = new AtomicReference<>(AgentDirectory.EMPTY);
        PolicyDecider decider = new PolicyDecider(() -> snapshot, registry::get);
        FlowFacts stripe = new FlowFacts("f", endpoint("198.18.2.9:1234"), endpoint("192.0.2.40:443"),
                PeekFacts.tls("api.stripe.com", List.of(), false));
        assertThat(decider.decide(stripe).verdict().ruleId()).as("not registered: the bundle decides")
                .isEqualTo("stripe");

        var now = Instant.parse("2026-11-21T12:00:00Z");
        var billing = AgentRecord.newAgent("billing-bot", "billing", null, "prod",
                null, null, now);
        registry.set(AgentDirectory.of(1, List.of(billing)));
        assertThat(decider.decide(stripe).verdict().ruleId()).as("registered and active").isEqualTo("stripe");

        registry.set(AgentDirectory.of(2, List.of(billing.withStatus(
                AgentStatus.DISABLED, "leaked key", now))));
        var d = decider.decide(stripe);
        assertThat(d.verdict().ruleId()).isEqualTo("agent_disabled");
        assertThat(d.verdict().reason()).isEqualTo("agent billing-bot is disabled");
        assertThat(d.identity().map(Identity::active)).contains(false);
    }

    @Test
    void denyAllSnapshotDeniesEverything() {
        PolicySnapshot none = PolicySnapshot.denyAll("none");
        PolicyDecision d = none.decide(facts("research", "tls:api.openai.com", "104.18.6.192:443"),
                who("research"));
        assertThat(d.verdict().ruleId()).isEqualTo("default");
        assertThat(none.identify(endpoint("198.18.1.2:1").getAddress())).isEmpty();
    }

    @Test
    void decisionsDoNotDependOnFileOrDocumentOrder() throws Exception {
        Map<String, String> files = new LinkedHashMap<>();
        try (var s = Files.list(DIR)) {
            for (Path p : s.sorted().toList()) {
                files.put(p.getFileName().toString(), Files.readString(p));
            }
        }
        List<String> docs = new ArrayList<>();
        for (String text : files.values()) {
            docs.addAll(List.of(text.split("(?m)^---\\n")));
        }
        List<String> expected = decisions(snapshot);
        Random random = new Random(7);
        for (int round = 0; round < 5; round++) {
            Collections.shuffle(docs, random);
            Map<String, String> shuffled = new LinkedHashMap<>();
            for (int i = 0; i < docs.size(); i++) {
                shuffled.put("doc-" + i + ".yaml", docs.get(i));
            }
            PolicySet set = PolicyParser.parse(shuffled);
            List<Policy> policies = new ArrayList<>(set.policies());
            Collections.shuffle(policies, random);
            PolicySnapshot other = PolicyCompiler.compile(new PolicySet(policies, set.bindings()), REVISION);
            assertThat(decisions(other)).isEqualTo(expected);
            assertThat(other.policySet().policies()).isEqualTo(snapshot.policySet().policies());
        }
    }

    private static List<String> decisions(PolicySnapshot s) {
        return cases().map(a -> {
            Object[] x = a.get();
            PolicyDecision d = s.decide(facts((String) x[1], (String) x[2], (String) x[3]), who((String) x[1]));
            return d.toString();
        }).toList();
    }

    @Test
    void aRelayCarriesItsRulesRateLimitForTheLimiter() {
        PolicyDecision limited = snapshot.decide(facts("research", "http:api.example-llm.com POST /v1/chat",
                "192.0.2.30:80"), who("research"));
        assertThat(limited.relayed()).isTrue();
        assertThat(limited.policyId()).isEqualTo("research-llm");
        assertThat(limited.ruleId()).isEqualTo("llm-http");
        assertThat(limited.rateLimit()).isEqualTo(new RateLimit(5, 200, RateLimit.LimitMode.HARD_STOP));
        assertThat(limited.rateLimitDestination()).isEqualTo("api.example-llm.com");

        PolicyDecision unlimited = snapshot.decide(facts("research", "tls:api.openai.com", "104.18.6.192:443"),
                who("research"));
        assertThat(unlimited.relayed()).isTrue();
        assertThat(unlimited.rateLimit()).isNull();
        assertThat(unlimited.rateLimitDestination()).isNull();
        PolicyDecision intercept = snapshot.decide(facts("research", "tls:inspect.example.ai", "192.0.2.80:443"),
                who("research"));
        assertThat(intercept.intercepted()).isTrue();
        assertThat(intercept.rateLimit()).as("each request inside is limited on its own").isNull();
        assertThat(snapshot.decide(facts("research", "tls:api.openai.com", "104.18.6.192:8443"), who("research"))
                .rateLimit()).isNull();
    }

    @Test
    void onlyARelayByAPolicyRuleMayCarryARateLimit() {
        RateLimit limit = new RateLimit(1, 0, RateLimit.LimitMode.HARD_STOP);
        Verdict.Deny deny = new Verdict.Deny(Termination.POLICY_DENIED, "r", "no");
        assertThatThrownBy(() -> new PolicyDecision(deny, "no", "p", "r", REVISION, Mode.ENFORCE, false, limit))
                .hasMessage("rateLimit: set on deny by rule r (expected: only on a relay by a policy's allow rule)");
        Verdict.Relay relay = new Verdict.Relay(endpoint("192.0.2.1:443"), "r", "ok");
        assertThatThrownBy(() -> new PolicyDecision(relay, "ok", null, "r", REVISION, Mode.ENFORCE, false, limit))
                .hasMessage("rateLimit: set on relay by rule r (expected: only on a relay by a policy's allow rule)");
        assertThat(new PolicyDecision(relay, "ok", "p", "r", REVISION, Mode.ENFORCE, false, limit)
                .rateLimitDestination()).isEqualTo("192.0.2.1");
    }

    @Test
    void policiesAreKeptInLadderOrder() {
        assertThat(snapshot.policySet().policies()).extracting(Policy::id).containsExactly("guardrails",
                "report-trial", "research-override", "agent-specific", "research-intercept", "research-llm",
                "research-wide", "research-jwt", "billing", "billing-strong");
    }

    @Test
    void parsedRuleKeepsHttpInterceptAndRateLimit() {
        Policy llm = snapshot.policySet().policies().stream().filter(p -> p.id().equals("research-llm"))
                .findFirst().orElseThrow();
        Rule http = llm.rules().get(1);
        assertThat(http.http()).isEqualTo(new HttpMatch(List.of("POST"), List.of("/v1/")));
        assertThat(http.rateLimit()).isEqualTo(new RateLimit(5, 200, RateLimit.LimitMode.HARD_STOP));
        Policy jwt = snapshot.policySet().policies().stream().filter(p -> p.id().equals("research-jwt"))
                .findFirst().orElseThrow();
        assertThat(jwt.rules().get(0).intercept()).isTrue();
        assertThat(jwt.subjects().minAuth()).isEqualTo(AuthMethod.JWT);
    }
}
