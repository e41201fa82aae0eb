package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.testing.JsonSchemaValidator;
import io.clawgress.testing.netns.Await;
import io.clawgress.testing.netns.ExecResult;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.Privileges;
import io.clawgress.testing.netns.Repo;
import io.clawgress.testing.netns.Topology;
import io.clawgress.testing.peer.Peer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code clawgressctl bundle push|history|rollback} and live {@code policy explain} against the real daemon through
 * its admin socket, with real TPROXY traffic from the agent namespace (issue 7): a pushed signed revision is
 * enforced at once; a stale and an unsigned push are refused (exit 1, each with its reason code) and change nothing;
 * history lists both generations and the refusals; a rollback returns to the previous revision and traffic follows
 * it; {@code policy explain} without a policy argument answers against the active revision. Every {@code --json}
 * output validates against its schema in docs/schemas/.
 *
 * <p>The tests run in order on one gateway: each builds on the state the previous one left.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BundleCtlE2EIT {

    private static final Duration T = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UPSTREAM = "198.18.2.2";
    private static final String AGENT = "198.18.1.2";

    /** Revision 1 (from the bundle file at start): port 80 only. */
    private static final String REVISION_1_RULES = """
              - {id: allow-80, action: allow, destinations: [{cidr: %s/32, ports: [80]}]}
            """.formatted(UPSTREAM);
    /** Revision 2 (pushed): port 8080 only. */
    private static final String REVISION_2_RULES = """
              - {id: allow-8080, action: allow, destinations: [{cidr: %s/32, ports: [8080]}]}
            """.formatted(UPSTREAM);

    private Topology topology;
    private Path dir;
    private SignedPolicy signed;
    private GatewayProcess gateway;
    private int nextPort = 43000;

    @BeforeAll
    void start() throws IOException {
        Privileges.requireOrSkip("ip", "iptables", "curl");
        dir = Files.createTempDirectory("clawgress-e2e-bundlectl-");
        topology = Topology.create(dir);
        for (int port : new int[] {80, 8080}) {
            Peer.spawn(topology.upstream(), "http-" + port, topology.workDir(), "http-server", "--bind", UPSTREAM,
                    "--port", Integer.toString(port)).awaitEvent("ready", T);
        }
        topology.installTproxy(15001).assertOk("clawgress-tproxy up");
        Path records = dir.resolve("audit");
        signed = new SignedPolicy(dir.resolve("policy"));
        Path bundle = signed.write("revision-1.tar.gz", signed.bundle(1, SignedPolicy.agentPolicy(REVISION_1_RULES)));
        gateway = topology.startGateway("""
                listener: {port: 15001, transport: epoll}
                timeouts: {upstream_connect: 2s, idle: 5m}
                audit: {dir: %s}
                """.formatted(records) + signed.configSection(dir.resolve("state"), bundle, null), records);
        assertThat(gateway.adminSocket()).as("the harness gives the daemon an admin socket").isNotNull();
        assertThat(gateway.stderrText()).contains("policy activated: revision 1 (kid e2e-signer)");
    }

    @AfterAll
    void stop() throws IOException {
        if (topology != null) {
            topology.close();
            if (!Boolean.getBoolean("clawgress.keepE2eDirs")) {
                DataPathE2E.deleteTree(topology.workDir());
            }
        }
    }

    @Test
    @Order(1)
    void aPushedSignedRevisionIsEnforcedAtOnce() throws Exception {
        assertThat(curl(80).get("policy_revision").asText()).isEqualTo("1");
        Path two = signed.write("revision-2.tar.gz", signed.bundle(2, SignedPolicy.agentPolicy(REVISION_2_RULES)));
        int adminBefore = gateway.adminRecords().size();

        JsonNode r = json("bundle-push", ctl("bundle", "push", two.toString(), "--json").expect(0));

        assertThat(r.get("outcome").asText()).isEqualTo("activated");
        assertThat(r.get("revision").asLong()).isEqualTo(2);
        assertThat(r.get("kid").asText()).isEqualTo(SignedPolicy.KID);
        assertThat(r.get("source").asText()).isEqualTo("push:uid=0");
        assertThat(r.at("/active/revision").asLong()).isEqualTo(2);
        JsonNode allowed = curl(8080);
        assertThat(allowed.get("verdict").asText()).isEqualTo("relay");
        assertThat(allowed.get("policy_revision").asText()).isEqualTo("2");
        JsonNode removed = curl(80);
        assertThat(removed.get("verdict").asText()).as("revision 2 no longer allows :80").isEqualTo("deny");
        assertThat(removed.get("policy_revision").asText()).isEqualTo("2");
        JsonNode admin = Await.until(T, "the admin record of the push", () -> gateway.adminRecords().stream()
                .skip(adminBefore).filter(a -> a.get("action").asText().equals("bundle.push")).findFirst(),
                gateway::describe);
        assertThat(admin.get("status").asInt()).isEqualTo(200);
        assertThat(admin.get("uid").asInt()).isZero();

        Clawgressctl.Result human = ctl("bundle", "push", two.toString()).expect(0);
        assertThat(human.out()).startsWith("unchanged: revision 2 is active already (kid e2e-signer) from"
                + " push:uid=0");
    }

    @Test
    @Order(2)
    void aStaleAndAnUnsignedPushAreRefusedAndChangeNothing() throws Exception {
        Path stale = signed.write("stale.tar.gz", signed.bundle(1, SignedPolicy.agentPolicy(REVISION_2_RULES
                + "  - {id: extra, action: allow, destinations: [{cidr: 198.18.2.0/24}]}\n")));
        Clawgressctl.Result refused = ctl("bundle", "push", stale.toString()).expect(1);
        assertThat(refused.err()).contains("clawgressctl bundle push: ").contains("revision 1")
                .contains("(revision_not_newer, HTTP 409)");
        JsonNode failure = json("failure", ctl("bundle", "push", stale.toString(), "--json").expect(1));
        assertThat(failure.get("exit_code").asInt()).isEqualTo(1);

        Map<String, byte[]> files = new LinkedHashMap<>(CraftedBundles.files(signed.bundle(3,
                SignedPolicy.agentPolicy(REVISION_1_RULES))));
        files.remove(".signatures.json");
        Path unsigned = signed.write("unsigned.tar.gz", CraftedBundles.write(files, out -> { }));
        Clawgressctl.Result noSignature = ctl("bundle", "push", unsigned.toString()).expect(1);
        assertThat(noSignature.err()).contains("(malformed_signatures, HTTP 422)");

        JsonNode still = curl(8080);
        assertThat(still.get("verdict").asText()).isEqualTo("relay");
        assertThat(still.get("policy_revision").asText()).as("the active revision is unchanged").isEqualTo("2");
        assertThat(gateway.stderrText()).contains("policy bundle rejected: rejected from push:uid=0:"
                + " revision_not_newer");
    }

    @Test
    @Order(3)
    void historyListsBothGenerationsAndTheRefusals() throws Exception {
        JsonNode h = json("bundle-history", ctl("bundle", "history", "--json").expect(0));

        assertThat(h.get("signed_bundles").asBoolean()).isTrue();
        assertThat(h.at("/active/revision").asLong()).isEqualTo(2);
        assertThat(h.get("generations")).extracting(g -> g.get("revision").asLong()).containsExactly(2L, 1L);
        assertThat(h.get("generations")).extracting(g -> g.get("active").asBoolean()).containsExactly(true, false);
        assertThat(h.at("/generations/0/source").asText()).isEqualTo("push:uid=0");
        assertThat(h.at("/generations/1/source").asText()).startsWith("file:");
        assertThat(h.at("/last_result/reason_code").asText()).isEqualTo("malformed_signatures");
        assertThat(h.get("activations")).extracting(a -> a.get("result").asText() + " "
                + a.get("reason_code").asText()).startsWith("rejected malformed_signatures",
                "rejected revision_not_newer", "rejected revision_not_newer", "activated null");

        Clawgressctl.Result human = ctl("bundle", "history").expect(0);
        assertThat(human.out()).contains("active: revision 2 (kid e2e-signer) from push:uid=0")
                .containsPattern("(?m)^2 +\\* +\\S+ +e2e-signer +push:uid=0 ")
                .containsPattern("(?m)^1 +\\S+ +e2e-signer +file:");
    }

    @Test
    @Order(4)
    void rollbackReturnsToThePreviousRevisionAndTrafficFollows() throws Exception {
        int adminBefore = gateway.adminRecords().size();

        JsonNode r = json("bundle-rollback", ctl("bundle", "rollback", "--json").expect(0));

        assertThat(r.get("outcome").asText()).isEqualTo("rolled_back");
        assertThat(r.get("revision").asLong()).isEqualTo(1);
        assertThat(r.get("source").asText()).isEqualTo("rollback:uid=0");
        JsonNode allowed = curl(80);
        assertThat(allowed.get("verdict").asText()).isEqualTo("relay");
        assertThat(allowed.get("policy_revision").asText()).isEqualTo("1");
        assertThat(curl(8080).get("verdict").asText()).as("revision 1 does not allow :8080").isEqualTo("deny");
        assertThat(gateway.stderrText()).contains("policy rolled back: revision 1 (kid e2e-signer) from"
                + " rollback:uid=0");
        JsonNode admin = Await.until(T, "the admin record of the rollback", () -> gateway.adminRecords().stream()
                .skip(adminBefore).filter(a -> a.get("action").asText().equals("bundle.rollback")).findFirst(),
                gateway::describe);
        assertThat(admin.get("status").asInt()).isEqualTo(200);

        Clawgressctl.Result nothing = ctl("bundle", "rollback").expect(1);
        assertThat(nothing.err()).contains("nothing to roll back to: no stored revision below revision 1")
                .contains("(no_previous_generation, HTTP 409)");
        assertThat(ctl("bundle", "rollback", "--to", "9").expect(1).err())
                .contains("revision 9 is not stored (stored: [1, 2])");
        assertThat(curl(80).get("policy_revision").asText()).isEqualTo("1");
    }

    @Test
    @Order(5)
    void policyExplainWithoutAPolicyArgumentAnswersAgainstTheActiveRevision() throws Exception {
        JsonNode relay = json("policy-explain", ctl("policy", "explain", "--source", AGENT, "--dest",
                UPSTREAM + ":80", "--host", "upstream.test", "--json").expect(0));
        assertThat(relay.get("input").asText()).isEqualTo("live");
        assertThat(relay.at("/active/revision").asLong()).isEqualTo(1);
        assertThat(relay.at("/active/source").asText()).isEqualTo("rollback:uid=0");
        assertThat(relay.at("/identity/agent/agent_id").asText()).isEqualTo("e2e-agent");
        assertThat(relay.at("/decision/verdict").asText()).isEqualTo("relay");
        assertThat(relay.at("/decision/rule").asText()).isEqualTo("allow-80");
        assertThat(relay.at("/decision/revision").asText()).isEqualTo("1");

        Clawgressctl.Result human = ctl("policy", "explain", "--live", "--source", AGENT, "--dest",
                UPSTREAM + ":8080", "--all").expect(0);
        assertThat(human.out()).startsWith("policy: revision 1 (kid e2e-signer, from rollback:uid=0)\n")
                .contains("decision: deny (policy_denied), rule default");

        ctl("bundle", "push", dir.resolve("policy/revision-2.tar.gz").toString()).expect(0);
        JsonNode after = json("policy-explain", ctl("policy", "explain", "--source", AGENT, "--dest",
                UPSTREAM + ":8080", "--json").expect(0));
        assertThat(after.at("/active/revision").asLong()).as("the next answer sees the new revision").isEqualTo(2);
        assertThat(after.at("/decision/rule").asText()).isEqualTo("allow-8080");
        assertThat(curl(8080).get("policy_revision").asText()).isEqualTo("2");
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private Clawgressctl.Result ctl(String... args) throws IOException, InterruptedException {
        return Clawgressctl.online(gateway, args);
    }

    private static JsonNode json(String schema, Clawgressctl.Result r) throws IOException {
        JsonNode node = JSON.readTree(r.out());
        JsonSchemaValidator.load(Repo.root().resolve("docs/schemas/" + schema + ".schema.json"))
                .requireValid(node, "clawgressctl --json (" + schema + ")");
        return node;
    }

    /** Curl from the agent to the upstream's {@code port}; returns the flow's record. */
    private JsonNode curl(int port) {
        int localPort = nextPort++;
        ExecResult r = topology.agent().exec(T, "curl", "-sS", "--max-time", "5", "--local-port",
                Integer.toString(localPort), "http://" + UPSTREAM + ":" + port + "/");
        String source = AGENT + ":" + localPort;
        JsonNode record = Await.until(T, "the flow record of " + source, () -> {
            List<JsonNode> found = gateway.flowRecords().stream()
                    .filter(x -> x.get("source").asText().equals(source)).toList();
            return found.isEmpty() ? Optional.empty() : Optional.of(found.get(found.size() - 1));
        }, gateway::describe);
        if (record.get("verdict").asText().equals("relay")) {
            assertThat(r.exitCode()).as(r.describe()).isZero();
            assertThat(r.stdout()).startsWith("hello from upstream " + UPSTREAM + ":" + port);
        }
        return record;
    }
}
