package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.testing.netns.ExecResult;
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
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rate limits end to end (issue 6, first part): a burst of plaintext requests from one agent through TPROXY against a
 * rule with {@code rate_limit: {rps: 5, mode: hard_stop}} gets the burst through and 429 with {@code Retry-After}
 * for the rest, never forwarded; the same burst against an {@code alert_only} limit all passes and is recorded
 * {@code would_limit}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RateLimitE2EIT {

    private static final Duration T = Duration.ofSeconds(30);
    private static final String UPSTREAM = "198.18.2.2";
    private static final int BURST = 20;

    private Topology topology;
    private GatewayProcess gateway;

    @BeforeAll
    void start() throws IOException {
        Privileges.requireOrSkip("ip", "iptables", "curl");
        Path dir = Files.createTempDirectory("clawgress-e2e-ratelimit-");
        topology = Topology.create(dir);
        for (int port : new int[] {80, 8080}) {
            Peer.spawn(topology.upstream(), "http-" + port, topology.workDir(), "http-server", "--bind", UPSTREAM,
                    "--port", Integer.toString(port)).awaitEvent("ready", T);
        }
        topology.installTproxy(15001).assertOk("clawgress-tproxy up");
        Path records = dir.resolve("audit");
        SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
        Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, SignedPolicy.agentPolicy("""
                  - {id: strict, action: allow, destinations: [{cidr: %1$s/32, ports: [80]}],
                     rate_limit: {rps: 5, mode: hard_stop}}
                  - {id: lenient, action: allow, destinations: [{cidr: %1$s/32, ports: [8080]}],
                     rate_limit: {rps: 5, mode: alert_only}}
                """.formatted(UPSTREAM))));
        gateway = topology.startGateway("""
                listener: {port: 15001, transport: epoll}
                timeouts: {upstream_connect: 2s, idle: 30s}
                audit: {dir: %s}
                """.formatted(records) + signed.configSection(dir.resolve("state"), bundle, null), records);
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

    /** BURST requests, one connection each, as fast as curl goes; the status codes. */
    private List<String> burst(int port) {
        ExecResult r = topology.agent().exec(T, "sh", "-c", "for i in $(seq 1 " + BURST + "); do curl -sS"
                + " --max-time 5 -o /dev/null -D - -w '%{http_code}\\n' http://" + UPSTREAM + ":" + port
                + "/ | grep -iE '^(retry-after|[0-9]{3}$)' | tr -d '\\r' | tr '\\n' ' '; echo; done");
        assertThat(r.exitCode()).as(r.describe()).isZero();
        return r.stdout().lines().map(String::trim).toList();
    }

    @Test
    void aHardStopLimitLetsTheBurstThroughAndAnswers429WithRetryAfterForTheRest() {
        long start = System.nanoTime();
        List<String> answers = burst(80);
        double seconds = (System.nanoTime() - start) / 1e9;
        long ok = answers.stream().filter(a -> a.endsWith("200")).count();
        long limited = answers.stream().filter(a -> a.endsWith("429")).count();
        System.out.printf("[e2e rate limit] hard_stop 5/s: %d requests in %.2f s -> %d x 200, %d x 429%n", BURST,
                seconds, ok, limited);
        assertThat(ok + limited).as(answers.toString()).isEqualTo(BURST);
        // GCRA with a burst of 5: 5 at once, then one per 200 ms while the burst lasts.
        assertThat(ok).as(answers.toString()).isBetween(5L, 5L + (long) Math.ceil(seconds * 5) + 1);
        assertThat(answers.stream().filter(a -> a.endsWith("429")))
                .allSatisfy(a -> assertThat(a).as("429 carries Retry-After").matches("(?i)retry-after: [1-9]\\d* 429"));
        List<JsonNode> records = gateway.awaitFlowRecords(BURST, T).stream()
                .filter(r -> r.get("original_destination").asText().endsWith(":80")).toList();
        assertThat(records.stream().filter(r -> r.get("termination").asText().equals("rate_limited")).count())
                .isEqualTo(limited);
        assertThat(gateway.requestRecords().stream().filter(r -> r.path("code").asText().equals("rate_limited"))
                .count()).isEqualTo(limited);
    }

    @Test
    void anAlertOnlyLimitAdmitsEverythingAndRecordsWouldLimit() {
        List<String> answers = burst(8080);
        assertThat(answers).as("alert_only never refuses").allSatisfy(a -> assertThat(a).endsWith("200"));
        long flagged = gateway.requestRecords().stream()
                .filter(r -> r.path("rule").asText().equals("lenient") && r.path("would_limit").asBoolean()).count();
        System.out.printf("[e2e rate limit] alert_only 5/s: %d x 200, %d recorded would_limit%n", answers.size(),
                flagged);
        assertThat(flagged).isGreaterThanOrEqualTo(BURST - 5 - 4);
    }
}
