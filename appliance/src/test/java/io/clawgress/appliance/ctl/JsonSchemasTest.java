package io.clawgress.appliance.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clawgress.api.PeekFacts;
import io.clawgress.enforcement.audit.AuditKey;
import io.clawgress.enforcement.audit.AuditLog;
import io.clawgress.testing.JsonSchemaValidator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import static io.clawgress.appliance.ctl.Ctl.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@code --json} verb has a schema in docs/schemas/, named after its command path, and what the offline verbs
 * print (results, their own refusals, and the common failure object) validates against it. Each output is also
 * checked to be refused once it has a member the schema does not describe, so a schema that accepts anything fails.
 */
class JsonSchemasTest {

    static final Path SCHEMAS = Path.of("..", "docs", "schemas");
    static final Path AUDIT_RECORD = Path.of("..", "docs", "audit-record.schema.json");
    static final String DRAFT = "https://json-schema.org/draft/2020-12/schema";

    /** Schemas not named after a verb. */
    static final Set<String> SHARED = Set.of("failure");

    private static Map<String, JsonSchemaValidator> schemas;
    private static JsonSchemaValidator auditRecord;

    @TempDir
    Path tmp;

    @BeforeAll
    static void loadSchemas() throws IOException {
        schemas = new TreeMap<>();
        try (Stream<Path> files = Files.list(SCHEMAS)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                assertThat(name).as("file in docs/schemas").endsWith(".schema.json");
                schemas.put(name.substring(0, name.length() - ".schema.json".length()), JsonSchemaValidator.load(f));
            }
        }
        auditRecord = JsonSchemaValidator.load(AUDIT_RECORD);
    }

    // ---- the schema files ----------------------------------------------------------------------------------------

    @Test
    void everySchemaIsJsonWithSchemaAndTitle() throws IOException {
        assertThat(schemas).isNotEmpty();
        for (Map.Entry<String, JsonSchemaValidator> e : schemas.entrySet()) {
            Path file = SCHEMAS.resolve(e.getKey() + ".schema.json");
            JsonNode s = Json.MAPPER.readTree(Files.readString(file, StandardCharsets.UTF_8));
            assertThat(s.isObject()).as(file.toString()).isTrue();
            assertThat(s.path("$schema").asText()).as(file + " $schema").isEqualTo(DRAFT);
            assertThat(s.path("title").asText()).as(file + " title").isNotBlank();
            if (s.has("$id")) {
                assertThat(s.get("$id").asText()).as(file + " $id")
                        .isEqualTo("https://clawgress.io/schemas/" + e.getKey() + ".schema.json");
            }
        }
    }

    /** {@code clawgressctl agent list} has {@code --json}: docs/schemas/agent-list.schema.json; and no stale file. */
    @Test
    void everyJsonVerbHasASchemaAndEverySchemaAVerb() {
        Set<String> verbs = new TreeSet<>();
        for (CommandSpec c : commands(ClawgressctlCommand.commandLine(new ClawgressctlCommand()).getCommandSpec())) {
            if (c.findOption("--json") != null) {
                verbs.add(schemaName(c));
            }
        }
        assertThat(verbs).contains("agent-list", "agent-show", "bundle-verify", "policy-validate", "policy-test",
                "policy-explain", "policy-diff", "audit-verify", "audit-query", "audit-tail");
        Set<String> files = new TreeSet<>(schemas.keySet());
        files.removeAll(SHARED);
        assertThat(files).as("docs/schemas/*.schema.json (besides %s) for the verbs with --json", SHARED)
                .containsExactlyInAnyOrderElementsOf(verbs);
    }

    @Test
    void docsLinkEverySchema() throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "clawgressctl.md"), StandardCharsets.UTF_8);
        for (String name : schemas.keySet()) {
            assertThat(doc).as("docs/clawgressctl.md links schemas/%s.schema.json", name)
                    .contains("](schemas/" + name + ".schema.json)");
        }
    }

    static List<CommandSpec> commands(CommandSpec root) {
        List<CommandSpec> out = new ArrayList<>();
        Set<CommandSpec> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collect(root, out, seen);
        return out;
    }

    private static void collect(CommandSpec spec, List<CommandSpec> out, Set<CommandSpec> seen) {
        for (CommandLine sub : spec.subcommands().values()) {
            if (seen.add(sub.getCommandSpec())) {
                out.add(sub.getCommandSpec());
                collect(sub.getCommandSpec(), out, seen);
            }
        }
    }

    /** {@code clawgressctl agent list} -> {@code agent-list}. */
    static String schemaName(CommandSpec c) {
        return c.qualifiedName("-").substring(c.root().name().length() + 1);
    }

    @Test
    void theSchemasRefuseWhatTheyDoNotDescribe() throws IOException {
        JsonNode failure = Json.MAPPER.readTree("""
                {"ok": false, "exit_code": 78, "errors": [{"file": "p.yaml", "line": 3, "column": 5,
                 "key": "rules[0].action", "message": "missing", "text": "p.yaml:3:5: rules[0].action: missing"}]}""");
        assertThat(schemas.get("failure").validate(failure)).isEmpty();
        assertThat(schemas.get("failure").validate(((ObjectNode) failure.deepCopy()).put("exit_code", 2)))
                .as("a usage error prints no JSON").isNotEmpty();
        assertThat(schemas.get("failure").validate(((ObjectNode) failure.deepCopy()).put("ok", true))).isNotEmpty();
        ObjectNode noErrors = failure.deepCopy();
        noErrors.putArray("errors");
        assertThat(schemas.get("failure").validate(noErrors)).isNotEmpty();

        JsonNode valid = Json.MAPPER.readTree("""
                {"valid": true, "input": "p", "revision": "dir:0123456789ab",
                 "policy": {"policies": 1, "rules": 2, "destinations": 3, "bindings": 0}}""");
        assertThat(schemas.get("policy-validate").validate(valid)).isEmpty();
        assertThat(schemas.get("policy-validate").validate(((ObjectNode) valid.deepCopy()).put("revision", "x")))
                .isNotEmpty();
        assertThat(schemas.get("policy-validate").validate(((ObjectNode) valid.deepCopy()).put("valid", false)))
                .as("a refusal has errors, not totals").isNotEmpty();
    }

    // ---- agent list|show -----------------------------------------------------------------------------------------

    @Test
    void agentListAndShow() throws IOException {
        Path state = Files.createDirectory(tmp.resolve("state"));
        String sd = state.toString();
        check("agent-list", run("agent", "list", "--json", "--state-dir", sd), 0); // no registry yet
        assertThat(run("agent", "add", "research-bot", "--team", "research", "--project", "crawler", "--environment",
                "dev", "--trust-tier", "gold", "--note", "nightly — Zoë", "--state-dir", sd).exit()).isZero();
        assertThat(run("agent", "add", "billing-bot", "--state-dir", sd).exit()).isZero();
        assertThat(run("agent", "disable", "billing-bot", "--reason", "leaked key", "--state-dir", sd).exit())
                .isZero();

        JsonNode list = check("agent-list", run("agent", "list", "--json", "--state-dir", sd), 0);
        assertThat(list.get("agents")).hasSize(2);
        check("agent-show", run("agent", "show", "research-bot", "--json", "--state-dir", sd), 0);
        JsonNode disabled = check("agent-show", run("agent", "show", "billing-bot", "--json", "--state-dir", sd), 0);
        assertThat(disabled.at("/agent/status_reason").asText()).isEqualTo("leaked key");

        check("failure", run("agent", "show", "nobody", "--json", "--state-dir", sd), 1);
        check("failure", run("agent", "show", "no/such", "--json", "--state-dir", sd), 78);
        check("failure", run("agent", "list", "--json", "--state-dir", tmp.resolve("missing").toString()), 1);
    }

    // ---- bundle verify, policy validate|test|explain|diff ----------------------------------------------------------

    /** Signs {@code content} as revision 7; returns {bundle, key set}. */
    private Path[] bundle(Path content) {
        Path key = tmp.resolve("ops.pem");
        Path keys = tmp.resolve("keys.json");
        assertThat(run("bundle", "keygen", "--kid", "ops", "--out-private", key.toString(), "--out-public-keyset",
                keys.toString()).exit()).isZero();
        Path out = tmp.resolve("r7.tar.gz");
        Ctl.Run b = run("bundle", "build", "--dir", content.toString(), "--key", key.toString(), "--kid", "ops",
                "--revision", "7", "--out", out.toString());
        assertThat(b.exit()).as(b.toString()).isZero();
        return new Path[] {out, keys};
    }

    @Test
    void bundleVerify() throws IOException {
        Path[] b = bundle(Ctl.policyDir(tmp, "policy"));
        String bundle = b[0].toString();
        String keys = b[1].toString();
        JsonNode ok = check("bundle-verify", run("bundle", "verify", bundle, "--trusted-keys", keys, "--json"), 0);
        assertThat(ok.get("files")).hasSize(3);

        JsonNode old = check("bundle-verify", run("bundle", "verify", bundle, "--trusted-keys", keys,
                "--active-revision", "9", "--json"), 1);
        assertThat(old.get("reason").asText()).isEqualTo("revision_not_newer");
        Path garbage = tmp.resolve("garbage.json");
        Files.writeString(garbage, "{not json");
        JsonNode badKeys = check("bundle-verify", run("bundle", "verify", bundle, "--trusted-keys", garbage.toString(),
                "--json"), 1);
        assertThat(badKeys.get("reason").asText()).isEqualTo("malformed_key_set");
        JsonNode missing = check("bundle-verify", run("bundle", "verify", tmp.resolve("nope.tar.gz").toString(),
                "--trusted-keys", keys, "--json"), 1);
        assertThat(missing.get("reason").asText()).isEqualTo("unreadable");
    }

    @Test
    void policyValidate() throws IOException {
        Path dir = Ctl.policyDir(tmp, "policy");
        check("policy-validate", run("policy", "validate", dir.toString(), "--json"), 0);
        Path[] b = bundle(dir);
        JsonNode signed = check("policy-validate", run("policy", "validate", b[0].toString(), "--trusted-keys",
                b[1].toString(), "--json"), 0);
        assertThat(signed.get("revision").asText()).isEqualTo("7");

        Ctl.write(dir.resolve("policies/bad.yaml"), "apiVersion: clawgress.io/v1\nkind: Policy\nid: bad\n");
        JsonNode invalid = check("policy-validate", run("policy", "validate", dir.toString(), "--json"), 78);
        assertThat(invalid.get("errors").get(0).get("line").asInt()).isPositive();
        check("policy-validate", run("policy", "validate", tmp.resolve("nope").toString(), "--json"), 78);
    }

    private static final String SCENARIOS = """
            apiVersion: clawgress.io/v1
            kind: PolicyScenarios
            scenarios:
              - name: research reaches OpenAI
                source: 10.10.1.7
                destination: 104.18.6.192:443
                tls: {sni: api.openai.com}
                expect: {verdict: relay, policy: research-llm, rule: llm-apis}
              - name: metadata is denied
                source: 10.10.1.7
                destination: 169.254.169.254:80
                http: {host: api.openai.com, path: /latest/meta-data/}
                expect: {verdict: deny, rule: no-metadata, termination: policy_denied}
              - name: the apex is not covered
                source: 10.10.1.7
                destination: 160.79.104.10:443
                tls: {sni: anthropic.com}
                expect: {verdict: relay, policy: research-llm, rule: llm-apis}
              - name: a given identity
                source: 10.10.9.9
                destination: 104.18.6.192:443
                tls: {sni: api.openai.com}
                identity: {agent_id: bot, team_id: research, auth: jwt}
                expect: {verdict: relay}
            """;

    @Test
    void policyTest() throws IOException {
        Path dir = Ctl.policyDir(tmp, "policy");
        Path s = tmp.resolve("scenarios.yaml");
        Ctl.write(s, SCENARIOS);
        JsonNode r = check("policy-test", run("policy", "test", "--scenarios", s.toString(), dir.toString(), "--json"),
                1);
        assertThat(r.get("failed").asInt()).isEqualTo(1);
        assertThat(r.at("/scenarios/2/mismatches")).isNotEmpty();
        assertThat(r.at("/scenarios/0/explanation").isNull()).isTrue();
        JsonNode verbose = check("policy-test", run("policy", "test", "--scenarios", s.toString(), dir.toString(),
                "-v", "--json"), 1);
        assertThat(verbose.at("/scenarios/0/explanation").isObject()).isTrue();

        Ctl.write(s, SCENARIOS.replace("104.18.6.192:443", "104.18.6.192"));
        check("failure", run("policy", "test", "--scenarios", s.toString(), dir.toString(), "--json"), 78);
    }

    /** A policy with an intercept rule whose http condition a TLS flow cannot meet: the flow is intercepted. */
    private static final String INTERCEPT = """
            apiVersion: clawgress.io/v1
            kind: Policy
            id: research-intercept
            priority: 50
            subjects: {team_id: [research]}
            rules:
              - id: inspect
                action: allow
                destinations: [{host: inspect.example.ai, ports: [443]}]
                http: {methods: [POST]}
                intercept: true
            """;

    @Test
    void policyExplain() throws IOException {
        Path dir = Ctl.policyDir(tmp, "policy");
        Ctl.write(dir.resolve("policies/intercept.yaml"), INTERCEPT);
        String d = dir.toString();
        check("policy-explain", run("policy", "explain", d, "--source", "10.10.1.7", "--dest", "104.18.6.192:443",
                "--sni", "api.openai.com", "--json"), 0);
        JsonNode deny = check("policy-explain", run("policy", "explain", d, "--source", "10.10.1.7:40000", "--dest",
                "192.0.2.30:80", "--host", "api.example-llm.com", "--method", "GET", "--path", "/v1/chat", "--json"),
                0);
        assertThat(deny.at("/decision/verdict").asText()).isEqualTo("deny");
        JsonNode unbound = check("policy-explain", run("policy", "explain", d, "--source", "203.0.113.9", "--dest",
                "[2001:db8::1]:443", "--json"), 0);
        assertThat(unbound.at("/identity/agent").isNull()).isTrue();
        check("policy-explain", run("policy", "explain", d, "--source", "10.10.9.9", "--dest", "104.18.6.192:443",
                "--tls", "--identity", "agent_id=bot,team_id=research,auth=mtls", "--json"), 0);
        JsonNode intercepted = check("policy-explain", run("policy", "explain", d, "--source", "10.10.1.7", "--dest",
                "198.18.9.9:443", "--sni", "inspect.example.ai", "--json"), 0);
        assertThat(intercepted.at("/decision/verdict").asText()).isEqualTo("intercept");
        assertThat(intercepted.get("intercept").isObject()).as(intercepted.toString()).isTrue();

        check("failure", run("policy", "explain", tmp.resolve("nope").toString(), "--source", "10.10.1.7", "--dest",
                "104.18.6.192:443", "--json"), 78);
    }

    @Test
    void policyDiff() throws IOException {
        Path dir = Ctl.policyDir(tmp, "policy");
        Path next = tmp.resolve("next");
        Ctl.write(next.resolve("identity/subnets.yaml"), Ctl.BINDINGS.replace("environment: prod",
                "environment: staging").replace("""
                  - subnet: 10.10.1.0/24
                    identity: {agent_id: research-bot, team_id: research, environment: dev}
                """, ""));
        Ctl.write(next.resolve("policies/research.yaml"), Ctl.POLICIES.replace("priority: 100\n", "priority: 200\n")
                .replace("      - {host: \"*.anthropic.com\", ports: [443]}\n", "")
                .replace("id: guardrails", "id: guardrails-v2"));
        check("policy-diff", run("policy", "diff", dir.toString(), dir.toString(), "--json"), 0);
        JsonNode diff = check("policy-diff", run("policy", "diff", dir.toString(), next.toString(), "--json"), 1);
        assertThat(diff.get("policies")).hasSize(3);
        assertThat(diff.get("bindings")).hasSize(2);

        Ctl.write(next.resolve("policies/broken.yaml"), "kind: Policy\n");
        check("failure", run("policy", "diff", dir.toString(), next.toString(), "--json"), 78);
    }

    // ---- audit verify|query|tail ---------------------------------------------------------------------------------

    /** A log of flows and requests of every verdict, with checkpoints; returns its directory. */
    private Path auditLog(Path state) throws IOException {
        Path dir = tmp.resolve("audit");
        AuditCommandsTest.MutableClock clock = new AuditCommandsTest.MutableClock(AuditCommandsTest.T0);
        AuditLog log = AuditLog.open(AuditCommandsTest.settings(dir).withCheckpoint(2, Duration.ofHours(1)),
                AuditKey.openOrCreate(state), clock);
        AuditCommandsTest.write(log,
                AuditCommandsTest.tlsFlow("f-1", "agent-a", "relay", "web", "198.18.2.2", "api.example.com"),
                AuditCommandsTest.tlsFlow("f-2", null, "deny", "default", "198.18.3.3", "evil.example"),
                AuditCommandsTest.request("f-3", AuditCommandsTest.T0.plusSeconds(60), "agent-a", "POST",
                        "api.openai.com", "/v1/chat", "relay", "llm", 0, null),
                AuditCommandsTest.flow("f-4", "agent-b", "deny", "default", "198.18.5.5", 80,
                        PeekFacts.http("api.test", "GET", "/x")));
        AuditCommandsTest.close(log);
        return dir;
    }

    @Test
    void auditVerify() throws IOException {
        Path state = Files.createDirectory(tmp.resolve("state"));
        Path dir = auditLog(state);
        String pub = state.resolve("audit-key/audit-key.pub.pem").toString();
        JsonNode ok = check("audit-verify", run("audit", "verify", "--dir", dir.toString(), "--key", pub, "--json"), 0);
        assertThat(ok.get("outcome").asText()).isEqualTo("ok");
        check("audit-verify", run("audit", "verify", "--dir", dir.toString(), "--no-key", "--json"), 0);

        List<Path> segments;
        try (Stream<Path> s = Files.list(dir)) {
            segments = s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
        }
        Path newest = segments.getLast();
        String text = Files.readString(newest, StandardCharsets.UTF_8);
        Files.writeString(newest, text + "{\"type\":\"flow\",\"seq\":");
        JsonNode torn = check("audit-verify", run("audit", "verify", "--dir", dir.toString(), "--key", pub, "--json"),
                0);
        assertThat(torn.get("outcome").asText()).isEqualTo("ok-with-truncation");
        Files.writeString(newest, text);
        Path first = segments.getFirst();
        String edited = Files.readString(first, StandardCharsets.UTF_8).replaceFirst("\"agent-a\"", "\"agent-z\"");
        assertThat(edited).contains("agent-z");
        Files.writeString(first, edited);
        JsonNode broken = check("audit-verify", run("audit", "verify", "--dir", dir.toString(), "--key", pub,
                "--json"), 1);
        assertThat(broken.get("outcome").asText()).isEqualTo("broken");

        check("failure", run("audit", "verify", "--dir", tmp.resolve("none").toString(), "--no-key", "--json"), 78);
    }

    @Test
    void auditQueryAndTail() throws IOException {
        Path state = Files.createDirectory(tmp.resolve("state"));
        String dir = auditLog(state).toString();
        JsonNode all = check("audit-query", run("audit", "query", "--dir", dir, "--type", "all", "--json"), 0);
        assertThat(all.get("count").asInt()).isGreaterThan(4);
        JsonNode some = check("audit-query", run("audit", "query", "--dir", dir, "--agent", "agent-a", "--since",
                "2h", "--until", "2026-11-21T12:00:00Z", "--verdict", "relay", "--limit", "1", "--json"), 0);
        assertThat(some.get("more").asBoolean()).isTrue();
        for (JsonNode q : List.of(all, some)) {
            for (JsonNode r : q.get("records")) {
                auditRecord.requireValid(r, "audit query --json record");
            }
        }
        check("failure", run("audit", "query", "--dir", tmp.resolve("none").toString(), "--json"), 78);

        Ctl.Run tail = run("audit", "tail", "--dir", dir, "-n", "10", "--type", "all", "--json");
        assertThat(tail.exit()).as(tail.toString()).isZero();
        List<String> lines = tail.out().lines().toList();
        assertThat(lines).hasSizeGreaterThan(4);
        for (String line : lines) {
            JsonNode r = Json.MAPPER.readTree(line);
            schemas.get("audit-tail").requireValid(r, "audit tail --json line");
            auditRecord.requireValid(r, "audit tail --json line");
            ObjectNode noHash = r.deepCopy();
            noHash.remove("hash");
            assertThat(schemas.get("audit-tail").validate(noHash)).isNotEmpty();
        }
        Ctl.Run failed = run("audit", "tail", "--dir", tmp.resolve("none").toString(), "--json");
        assertThat(failed.exit()).isEqualTo(78);
        assertThat(failed.out()).as("on failure, stdout stays empty").isEmpty();
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /**
     * Checks the exit code, that stdout is one JSON document valid against {@code schema}, and that the schema refuses
     * it with a member it does not describe; returns the document.
     */
    private static JsonNode check(String schema, Ctl.Run run, int exit) throws IOException {
        assertThat(run.exit()).as(run.toString()).isEqualTo(exit);
        JsonNode doc = Json.MAPPER.readTree(run.out());
        assertThat(doc).as(run.toString()).isNotNull();
        JsonSchemaValidator v = schemas.get(schema);
        assertThat(v).as("docs/schemas/" + schema + ".schema.json").isNotNull();
        v.requireValid(doc, schema + " <- " + run.out());
        assertThat(v.validate(((ObjectNode) doc.deepCopy()).put("unexpected_member", 1)))
                .as("%s accepts a member it does not describe", schema).isNotEmpty();
        if (schema.equals("failure")) {
            assertThat(doc.get("exit_code").asInt()).isEqualTo(exit);
        }
        return doc;
    }
}
