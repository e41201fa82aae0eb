package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clawgress.testing.JsonSchemaValidator;
import io.clawgress.testing.netns.Await;
import io.clawgress.testing.netns.ExecResult;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.ManagedProcess;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code clawgressctl flows list|kill} and {@code quota show} against a running daemon (issue 7): two long-lived
 * flows from the agent namespace to silent servers in the upstream namespace are listed as relaying (the output
 * validates against docs/schemas/flows-list.schema.json); {@code flows kill} resets one (the agent sees the reset,
 * its record says {@code admin_killed} with the reason, the admin record names the flow) and leaves the other open;
 * after a burst of plaintext requests over a {@code rpm: 1} limit (it refills after a minute, longer than the test
 * takes), {@code quota show} shows the agent's bucket with what was admitted and refused.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FlowsQuotaCtlE2EIT {

    private static final Duration T = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String UPSTREAM = "198.18.2.2";
    private static final String AGENT_ID = "e2e-agent";
    private static final int BURST = 6;

    private Topology topology;
    private GatewayProcess gateway;
    private ManagedProcess silent7000;
    private ManagedProcess silent7001;
    private final List<ManagedProcess> holds = new ArrayList<>();

    @BeforeAll
    void start() throws IOException {
        Privileges.requireOrSkip("ip", "iptables", "curl");
        Path dir = Files.createTempDirectory("clawgress-e2e-flows-");
        topology = Topology.create(dir);
        Peer.spawn(topology.upstream(), "http-80", topology.workDir(), "http-server", "--bind", UPSTREAM, "--port",
                "80").awaitEvent("ready", T);
        silent7000 = Peer.spawn(topology.upstream(), "silent-7000", topology.workDir(), "silent-server", "--bind",
                UPSTREAM, "--port", "7000");
        silent7000.awaitEvent("ready", T);
        silent7001 = Peer.spawn(topology.upstream(), "silent-7001", topology.workDir(), "silent-server", "--bind",
                UPSTREAM, "--port", "7001");
        silent7001.awaitEvent("ready", T);
        topology.installTproxy(15001).assertOk("clawgress-tproxy up");
        Path records = dir.resolve("audit");
        SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
        Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, SignedPolicy.agentPolicy("""
                  - {id: hold, action: allow, destinations: [{cidr: %1$s/32, ports: [7000, 7001]}]}
                  - {id: web-limited, action: allow, destinations: [{cidr: %1$s/32, ports: [80]}],
                     rate_limit: {rpm: 1, mode: hard_stop}}
                """.formatted(UPSTREAM))));
        gateway = topology.startGateway("""
                listener: {port: 15001, transport: epoll}
                timeouts: {upstream_connect: 2s, idle: 5m}
                peek: {server_first_ports: [7000, 7001]}
                audit: {dir: %s}
                """.formatted(records) + signed.configSection(dir.resolve("state"), bundle, null), records);
        assertThat(gateway.adminSocket()).as("the harness gives the daemon an admin socket").isNotNull();
    }

    @AfterAll
    void stop() throws IOException {
        holds.forEach(ManagedProcess::close);
        if (topology != null) {
            topology.close();
            if (!Boolean.getBoolean("clawgress.keepE2eDirs")) {
                DataPathE2E.deleteTree(topology.workDir());
            }
        }
    }

    private static JsonSchemaValidator schema(String name) throws IOException {
        return JsonSchemaValidator.load(Repo.root().resolve("docs/schemas/" + name + ".schema.json"));
    }

    private ManagedProcess hold(String name, int port) {
        ManagedProcess p = Peer.spawn(topology.agent(), name, topology.workDir(), "hold-client",
                "--connect", UPSTREAM + ":" + port, "--timeout-seconds", "120");
        holds.add(p);
        return p;
    }

    /** {@code flows list --json [args]}, validated against its schema. */
    private JsonNode flows(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("flows", "list", "--json"));
        command.addAll(List.of(args));
        Clawgressctl.Result r = Clawgressctl.online(gateway, command.toArray(String[]::new)).expect(0);
        JsonNode list = JSON.readTree(r.out());
        schema("flows-list").requireValid(list, "clawgressctl flows list --json");
        return list;
    }

    private static Optional<JsonNode> flowTo(JsonNode list, int port) {
        for (JsonNode f : list.get("flows")) {
            if (f.get("original_destination").asText().equals(UPSTREAM + ":" + port)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    @Test
    @Order(1)
    void flowsListShowsTheHeldFlowsAsRelayingAndFlowsKillResetsOne() throws Exception {
        ManagedProcess a = hold("hold-a", 7000);
        ManagedProcess b = hold("hold-b", 7001);
        a.awaitEvent("connected", T);
        b.awaitEvent("connected", T);
        Await.until(T, "both held flows relayed", () -> !silent7000.events("accept").isEmpty()
                && !silent7001.events("accept").isEmpty(), gateway::describe);

        JsonNode list = flows();
        assertThat(list.get("open").asInt()).isEqualTo(2);
        assertThat(list.get("total").asInt()).isEqualTo(2);
        assertThat(list.get("truncated").asBoolean()).isFalse();
        JsonNode toA = flowTo(list, 7000).orElseThrow();
        JsonNode toB = flowTo(list, 7001).orElseThrow();
        for (JsonNode f : List.of(toA, toB)) {
            assertThat(f.get("state").asText()).isEqualTo("relaying");
            assertThat(f.get("verdict").asText()).isEqualTo("relay");
            assertThat(f.get("rule").asText()).isEqualTo("hold");
            assertThat(f.get("policy_revision").asText()).isEqualTo("1");
            assertThat(f.get("agent_id").asText()).isEqualTo(AGENT_ID);
            assertThat(f.get("peek").asText()).as("a server-first port is not peeked").isEqualTo("none");
            assertThat(f.get("source").asText()).startsWith("198.18.1.");
        }
        assertThat(toA.get("source").asText()).isEqualTo(a.awaitEvent("connected", T).get("local").asText());

        JsonNode filtered = flows("--dest", UPSTREAM + ":7000", "--agent", AGENT_ID);
        assertThat(filtered.get("total").asInt()).isEqualTo(1);
        assertThat(filtered.get("flows").get(0).get("flow_id").asText()).isEqualTo(toA.get("flow_id").asText());
        JsonNode limited = flows("--limit", "1");
        assertThat(limited.get("returned").asInt()).isEqualTo(1);
        assertThat(limited.get("truncated").asBoolean()).isTrue();

        Clawgressctl.Result human = Clawgressctl.online(gateway, "flows", "list").expect(0);
        assertThat(human.out()).contains("FLOW_ID").contains(toA.get("flow_id").asText())
                .contains(toB.get("flow_id").asText()).contains(AGENT_ID).contains("relaying")
                .contains("2 of 2 flows open");

        // Kill the flow to :7000.
        String id = toA.get("flow_id").asText();
        int adminBefore = gateway.adminRecords().size();
        Clawgressctl.Result killed = Clawgressctl.online(gateway, "flows", "kill", id, "--reason",
                "e2e: runaway agent", "--json").expect(0);
        JsonNode k = JSON.readTree(killed.out());
        schema("flows-kill").requireValid(k, "clawgressctl flows kill --json");
        assertThat(k.get("flow").get("flow_id").asText()).isEqualTo(id);
        assertThat(k.get("termination").asText()).isEqualTo("admin_killed");

        JsonNode done = a.awaitEvent("done", T);
        assertThat(done.get("ended").asText()).as("the agent sees its connection reset").isEqualTo("reset");
        JsonNode record = Await.until(T, "the killed flow's record", () -> gateway.flowRecords().stream()
                .filter(r -> r.get("flow_id").asText().equals(id)).findFirst(), gateway::describe);
        assertThat(record.get("termination").asText()).isEqualTo("admin_killed");
        assertThat(record.get("detail").asText()).startsWith("killed through the admin API by uid 0")
                .endsWith(": e2e: runaway agent");
        assertThat(record.get("rule").asText()).isEqualTo("hold");
        JsonNode admin = Await.until(T, "the admin record of the kill", () -> gateway.adminRecords().stream()
                .skip(adminBefore).filter(r -> r.get("action").asText().equals("flows.kill")).findFirst(),
                gateway::describe);
        assertThat(admin.get("target").asText()).isEqualTo(id);
        assertThat(admin.get("uid").asInt()).isZero();

        assertThat(b.events("done")).as("the other flow stays open").isEmpty();
        JsonNode after = Await.until(T, "one flow left", () -> {
            try {
                JsonNode l = flows();
                return l.get("total").asInt() == 1 ? Optional.of(l) : Optional.empty();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, gateway::describe);
        assertThat(after.get("flows").get(0).get("flow_id").asText()).isEqualTo(toB.get("flow_id").asText());

        Clawgressctl.Result again = Clawgressctl.online(gateway, "flows", "kill", id).expect(1);
        assertThat(again.err()).contains("no open flow '" + id + "'");
        Clawgressctl.Result human2 = Clawgressctl.online(gateway, "flows", "kill", toB.get("flow_id").asText())
                .expect(0);
        assertThat(human2.out()).contains("killed flow " + toB.get("flow_id").asText()).contains("admin_killed");
        assertThat(b.awaitEvent("done", T).get("ended").asText()).isEqualTo("reset");
    }

    @Test
    @Order(2)
    void quotaShowShowsTheAgentsBucketAfterRateLimitedRequests() throws Exception {
        ExecResult burst = topology.agent().exec(T, "sh", "-c", "for i in $(seq 1 " + BURST + "); do curl -sS"
                + " --max-time 5 -o /dev/null -w '%{http_code}\\n' http://" + UPSTREAM + "/; done");
        assertThat(burst.exitCode()).as(burst.describe()).isZero();
        List<String> codes = burst.stdout().lines().map(String::trim).toList();
        assertThat(codes).as("1 per minute, the burst all at once").containsExactly("200", "429", "429", "429",
                "429", "429");

        Clawgressctl.Result r = Clawgressctl.online(gateway, "quota", "show", "--json").expect(0);
        JsonNode q = JSON.readTree(r.out());
        schema("quota-show").requireValid(q, "clawgressctl quota show --json");
        assertThat(q.get("total").asInt()).isEqualTo(1);
        JsonNode bucket = q.get("buckets").get(0);
        assertThat(bucket.get("policy").asText()).isEqualTo("e2e");
        assertThat(bucket.get("rule").asText()).isEqualTo("web-limited");
        assertThat(bucket.get("agent_id").asText()).isEqualTo(AGENT_ID);
        assertThat(bucket.get("mode").asText()).isEqualTo("hard_stop");
        assertThat(bucket.get("rpm").asInt()).isEqualTo(1);
        assertThat(bucket.get("rps").isNull()).isTrue();
        assertThat(bucket.get("burst").asInt()).isEqualTo(1);
        assertThat(bucket.get("remaining").asInt()).as("refills after a minute").isZero();
        assertThat(bucket.get("admitted").asLong()).isEqualTo(1);
        assertThat(bucket.get("over_limit").asLong()).isEqualTo(BURST - 1);
        assertThat(bucket.get("full_in_ms").asLong()).isBetween(1L, 60_000L);
        assertThat(q.get("totals").get("limited").asLong()).isEqualTo(BURST - 1);

        assertThat(JSON.readTree(Clawgressctl.online(gateway, "quota", "show", "--json", "--agent", "someone-else")
                .expect(0).out()).get("total").asInt()).isZero();
        Clawgressctl.Result human = Clawgressctl.online(gateway, "quota", "show", "--agent", AGENT_ID).expect(0);
        assertThat(human.out()).contains("AGENT").contains(AGENT_ID).contains("web-limited").contains("1/min")
                .contains("0/1").contains("1 bucket");
    }
}
