package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.testing.netns.Await;
import io.clawgress.testing.netns.GatewayProcess;
import io.clawgress.testing.netns.Privileges;
import io.clawgress.testing.netns.Topology;
import io.clawgress.testing.peer.Peer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acceptance 1 of issue 6: 20 agents (each its own source address, bound by a /32) offer 25 requests a second each,
 * one connection per request, at the same time through the real daemon: 3,000 connections against a per-agent
 * {@code hard_stop} limit of 10 rps, then 2,000 against an {@code alert_only} one.
 *
 * <p>GCRA admits a burst of up to {@code rps} at once and then one request per 1/rps, so the first second of each
 * agent can see up to 2 x rps - 1 admissions; the rate is measured over the steady state after it, from the
 * gateway's own decision times (the request records' {@code time}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RateLimitLoadE2EIT {

    private static final Duration T = Duration.ofSeconds(30);
    private static final String UPSTREAM = "198.18.2.2";
    private static final int AGENTS = 20;
    private static final double OFFERED = 25;
    private static final int RPS = 10;

    private final List<String> sources = IntStream.range(0, AGENTS).mapToObj(i -> "198.18.1." + (10 + i)).toList();
    private Topology topology;
    private GatewayProcess gateway;

    @BeforeAll
    void start() throws IOException {
        Privileges.requireOrSkip("ip", "iptables");
        Path dir = Files.createTempDirectory("clawgress-e2e-ratelimit-load-");
        topology = Topology.create(dir);
        sources.forEach(topology::addAgentAddress);
        for (int port : new int[] {80, 8080}) {
            Peer.spawn(topology.upstream(), "origin-" + port, topology.workDir(), "origin-server", "--bind",
                    UPSTREAM, "--port", Integer.toString(port)).awaitEvent("ready", T);
        }
        topology.installTproxy(15001).assertOk("clawgress-tproxy up");
        String bindings = sources.stream()
                .map(s -> "  - {subnet: " + s + "/32, identity: {agent_id: agent-" + s.substring(9) + "}}")
                .collect(Collectors.joining("\n"));
        String policy = """
                apiVersion: clawgress.io/v1
                kind: IdentityBindings
                id: load-agents
                bindings:
                %s
                ---
                apiVersion: clawgress.io/v1
                kind: Policy
                id: load
                priority: 100
                subjects: {}
                rules:
                  - {id: strict, action: allow, destinations: [{cidr: %s/32, ports: [80]}],
                     rate_limit: {rps: %d, mode: hard_stop}}
                  - {id: lenient, action: allow, destinations: [{cidr: %s/32, ports: [8080]}],
                     rate_limit: {rps: %d, mode: alert_only}}
                """.formatted(bindings, UPSTREAM, RPS, UPSTREAM, RPS);
        SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
        Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, policy));
        Path audit = dir.resolve("audit");
        gateway = topology.startGateway("""
                listener: {port: 15001, transport: epoll}
                timeouts: {upstream_connect: 2s, idle: 30s}
                audit: {dir: %s}
                """.formatted(audit) + signed.configSection(dir.resolve("state"), bundle, null), audit);
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

    private List<LoadRun.Conn> load(String name, int port, int seconds) {
        List<String> args = new ArrayList<>(List.of("--target", UPSTREAM + ":" + port, "--rate",
                Double.toString(OFFERED), "--connections", Integer.toString((int) (AGENTS * OFFERED * seconds)),
                "--concurrency", "2000", "--path", "/" + name, "--timeout-seconds", "10"));
        args.addAll(LoadRun.sources(sources));
        return LoadRun.start(topology, name, args.toArray(String[]::new)).await(Duration.ofMinutes(2));
    }

    private List<JsonNode> requests(String rule, int count) {
        return Await.until(T, count + " request records of rule " + rule, () -> {
            List<JsonNode> r = gateway.requestRecords().stream().filter(q -> q.get("rule").asText().equals(rule))
                    .toList();
            return r.size() >= count ? java.util.Optional.of(r) : java.util.Optional.empty();
        }, gateway::describe);
    }

    @Test
    void aHardStopLimitOf10RpsAdmits10PerSecondPerAgentUnderLoadFrom20Agents() {
        int seconds = 6;
        List<LoadRun.Conn> conns = load("strict", 80, seconds);
        assertThat(conns).hasSizeGreaterThanOrEqualTo(2000);
        assertThat(LoadRun.count(conns, c -> c.status() + "/" + c.ended())).as("200 or 429, nothing else")
                .containsOnlyKeys("200/eof", "429/eof");
        List<JsonNode> records = requests("strict", conns.size());
        assertThat(records).hasSize(conns.size());
        assertThat(records.stream().filter(r -> r.get("verdict").asText().equals("relay")).count())
                .as("admitted requests recorded = the clients' 200s")
                .isEqualTo(conns.stream().filter(c -> c.status() == 200).count());

        Map<String, List<Instant>> admitted = new TreeMap<>();
        Map<String, Instant> first = new TreeMap<>();
        Map<String, Instant> last = new TreeMap<>();
        for (JsonNode r : records) {
            String agent = r.get("identity").get("agent_id").asText();
            Instant t = Instant.parse(r.get("time").asText());
            first.merge(agent, t, (a, b) -> a.isBefore(b) ? a : b);
            last.merge(agent, t, (a, b) -> a.isAfter(b) ? a : b);
            if (r.get("verdict").asText().equals("relay")) {
                admitted.computeIfAbsent(agent, k -> new ArrayList<>()).add(t);
            }
        }
        assertThat(admitted).hasSize(AGENTS);
        StringBuilder report = new StringBuilder();
        List<Double> rates = new ArrayList<>();
        List<Long> bins = new ArrayList<>();
        for (String agent : admitted.keySet()) {
            Instant from = first.get(agent).plusSeconds(1);
            long wholeSeconds = Duration.between(from, last.get(agent)).toSeconds();
            Instant to = from.plusSeconds(wholeSeconds);
            List<Instant> steady = admitted.get(agent).stream().filter(t -> !t.isBefore(from) && t.isBefore(to))
                    .toList();
            double rate = steady.size() / (double) wholeSeconds;
            rates.add(rate);
            long[] perSecond = new long[(int) wholeSeconds];
            steady.forEach(t -> perSecond[(int) Duration.between(from, t).toSeconds()]++);
            for (long n : perSecond) {
                bins.add(n);
            }
            long firstSecond = admitted.get(agent).stream().filter(t -> t.isBefore(from)).count();
            report.append(String.format("  %s: first second %d, then %.2f/s over %d s %s%n", agent, firstSecond,
                    rate, wholeSeconds, java.util.Arrays.toString(perSecond)));
            assertThat(firstSecond).as(agent + ": the burst").isLessThanOrEqualTo(2L * RPS - 1 + 1);
        }
        System.out.printf("[e2e rate limit load] hard_stop %d rps, %d agents x %.0f/s offered, %d connections:%n%s",
                RPS, AGENTS, OFFERED, conns.size(), report);
        assertThat(rates).as("steady-state admissions per second per agent: 10 +- 1")
                .allSatisfy(r -> assertThat(r).isBetween(RPS - 1.0, RPS + 1.0));
        System.out.printf("[e2e rate limit load] per-second bins: %s%n", LoadRun.count(bins, b -> b));
        assertThat(bins).as("every whole second of the steady state: 10 +- 1").allSatisfy(n ->
                assertThat(n).isBetween((long) RPS - 1, (long) RPS + 1));
    }

    @Test
    void anAlertOnlyLimitAdmitsEveryRequestOfEveryAgentAndRecordsWouldLimit() {
        List<LoadRun.Conn> conns = load("lenient", 8080, 4);
        assertThat(conns).allSatisfy(c -> assertThat(c.status() + "/" + c.ended()).as(c.toString())
                .isEqualTo("200/eof"));
        List<JsonNode> records = requests("lenient", conns.size());
        Map<String, Long> flagged = records.stream().filter(r -> r.get("would_limit").asBoolean())
                .collect(Collectors.groupingBy(r -> r.get("identity").get("agent_id").asText(), TreeMap::new,
                        Collectors.counting()));
        System.out.printf("[e2e rate limit load] alert_only: %d connections all 200; would_limit per agent: %s%n",
                conns.size(), flagged);
        assertThat(records).hasSize(conns.size())
                .allSatisfy(r -> assertThat(r.get("verdict").asText()).isEqualTo("relay"));
        assertThat(flagged).as("every agent went over its limit, and it was recorded").hasSize(AGENTS)
                .allSatisfy((agent, n) -> assertThat(n).isGreaterThan(30));
    }
}
