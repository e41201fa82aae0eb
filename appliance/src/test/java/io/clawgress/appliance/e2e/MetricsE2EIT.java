package io.clawgress.appliance.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import io.clawgress.appliance.metrics.Promtool;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Acceptance 5 of issue 7: after a known run of traffic through the real daemon and real TPROXY, a scrape of
 * {@code GET /metrics} (the daemon's TCP endpoint, on a port it picked, from inside the gateway namespace) parses
 * with Prometheus's own parser ({@code promtool check metrics}) and its counters equal the traffic and the audit
 * records: decisions by verdict, connections by termination, bytes equal to the flow records' sums, one peek and one
 * decision timed per connection, one request decision per forwarded request.
 *
 * <p>Half the connections go to {@code :80} (rule {@code web} of policy {@code e2e}: relayed to an origin server,
 * the request decided by the L7 gate), half to {@code :8080} (no rule: answered 403 by the gateway).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MetricsE2EIT {

    private static final Duration T = Duration.ofSeconds(30);
    private static final String UPSTREAM = "198.18.2.2";
    private static final int CONNECTIONS = 400;
    private static final Pattern ENDPOINT = Pattern.compile("metrics: Prometheus text at http://(\\S+)/metrics");
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private Topology topology;
    private GatewayProcess gateway;
    private String endpoint;

    @BeforeAll
    void start() throws IOException {
        Privileges.requireOrSkip("ip", "iptables", "curl");
        Path dir = Files.createTempDirectory("clawgress-e2e-metrics-");
        topology = Topology.create(dir);
        Peer.spawn(topology.upstream(), "origin-80", topology.workDir(), "origin-server", "--bind", UPSTREAM,
                "--port", "80").awaitEvent("ready", T);
        topology.installTproxy(15001).assertOk("clawgress-tproxy up");
        Path auditDir = dir.resolve("audit");
        SignedPolicy signed = new SignedPolicy(dir.resolve("policy"));
        Path bundle = signed.write("bundle.tar.gz", signed.bundle(1, SignedPolicy.agentPolicy("""
                  - {id: web, action: allow, destinations: [{cidr: %s/32, ports: [80]}]}
                """.formatted(UPSTREAM))));
        // Port 0: the daemon picks a free port in its own namespace and logs it.
        gateway = topology.startGateway("""
                listener: {port: 15001, transport: epoll}
                timeouts: {upstream_connect: 2s, idle: 30s}
                audit: {dir: %s}
                metrics: {address: 127.0.0.1, port: 0}
                """.formatted(auditDir) + signed.configSection(dir.resolve("state"), bundle, null), auditDir);
        Matcher m = ENDPOINT.matcher(gateway.stderrText());
        assertThat(m.find()).as("the daemon logs where it serves the metrics:\n%s", gateway.stderrText()).isTrue();
        endpoint = "http://" + m.group(1) + "/metrics";
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

    /** One scrape, from inside the gateway namespace (the endpoint is on its loopback). */
    private String scrape() {
        ExecResult r = topology.gateway().exec(T, "curl", "-sS", "--fail", "--max-time", "10", "-D", "/dev/stderr",
                endpoint);
        assertThat(r.ok()).as("GET %s: %s", endpoint, r.describe()).isTrue();
        assertThat(r.stderr()).as("response head").containsIgnoringCase("content-type: text/plain; version=0.0.4");
        return r.stdout();
    }

    /** The samples of a scrape, each with its labels. */
    record Sample(String name, Map<String, String> labels, double value) {
        boolean matches(String metric, String... labelPairs) {
            if (!name.equals(metric)) {
                return false;
            }
            for (int i = 0; i < labelPairs.length; i += 2) {
                if (!labelPairs[i + 1].equals(labels.get(labelPairs[i]))) {
                    return false;
                }
            }
            return true;
        }
    }

    static List<Sample> parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.lines().toList()) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertThat(m.matches()).as("a sample line: %s", line).isTrue();
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            out.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
        }
        return out;
    }

    /** The sum over every sample of {@code metric} whose labels include {@code labelPairs}. */
    static long sum(List<Sample> samples, String metric, String... labelPairs) {
        double total = 0;
        for (Sample s : samples) {
            if (s.matches(metric, labelPairs)) {
                total += s.value();
            }
        }
        return Math.round(total);
    }

    @Test
    void aScrapeParsesAndItsCountersEqualTheTrafficAndTheAuditRecords() throws Exception {
        List<Sample> before = parse(scrape());
        assertThat(sum(before, "clawgress_connections_ended_total")).as("nothing ended yet").isZero();
        assertThat(sum(before, "clawgress_policy_revision")).isEqualTo(1);
        assertThat(sum(before, "clawgress_policy_activations_total", "result", "activated")).isEqualTo(1);

        List<String> args = new ArrayList<>(List.of("--target", UPSTREAM + ":80", "--target", UPSTREAM + ":8080",
                "--rate", "100", "--connections", Integer.toString(CONNECTIONS), "--concurrency", "200",
                "--body-bytes", "0-2000", "--timeout-seconds", "30"));
        args.addAll(LoadRun.sources(List.of(topology.agentAddress().getHostAddress())));
        List<LoadRun.Conn> conns = LoadRun.start(topology, "load", args.toArray(String[]::new))
                .await(Duration.ofMinutes(2));
        assertThat(LoadRun.count(conns, c -> c.target().endsWith(":80") + "/" + c.status() + "/" + c.ended()))
                .as("200 through the gateway on :80, 403 from it on :8080")
                .containsOnlyKeys("true/200/eof", "false/403/eof");
        long allowed = conns.stream().filter(c -> c.status() == 200).count();
        long denied = CONNECTIONS - allowed;

        List<JsonNode> flows = gateway.awaitFlowRecords(CONNECTIONS, Duration.ofMinutes(1));
        assertThat(flows).hasSize(CONNECTIONS);
        List<JsonNode> requests = gateway.requestRecords();
        long recordsUp = flows.stream().mapToLong(f -> f.get("bytes_up").asLong()).sum();
        long recordsDown = flows.stream().mapToLong(f -> f.get("bytes_down").asLong()).sum();
        long clientsSent = conns.stream().mapToLong(LoadRun.Conn::sent).sum();
        long clientsReceived = conns.stream().mapToLong(LoadRun.Conn::received).sum();

        String text = scrape();
        Promtool.checkMetrics(text);
        List<Sample> s = parse(text);
        System.out.printf("[e2e metrics] %d connections (%d allowed, %d denied), %d request records, bytes %d/%d,"
                + " scrape %d lines%n", CONNECTIONS, allowed, denied, requests.size(), recordsUp, recordsDown,
                text.lines().count());

        assertThat(s.stream().map(Sample::name).distinct().toList()).as("the meters read at scrape time").contains(
                "clawgress_connections_open", "clawgress_policy_revision", "clawgress_audit_records_written_total",
                "clawgress_audit_records_dropped_total", "clawgress_audit_write_errors_total",
                "clawgress_audit_queue_depth", "clawgress_audit_failing", "clawgress_build_info");
        assertThat(sum(s, "clawgress_decisions_total", "kind", "flow", "verdict", "relay", "reason", "allowed",
                "policy", "e2e", "rule", "web")).as("connections allowed by rule web").isEqualTo(allowed);
        assertThat(sum(s, "clawgress_decisions_total", "kind", "flow", "verdict", "deny", "reason",
                "policy_denied")).as("connections denied").isEqualTo(denied);
        assertThat(sum(s, "clawgress_decisions_total", "kind", "flow")).isEqualTo(CONNECTIONS);
        assertThat(sum(s, "clawgress_decisions_total", "kind", "request", "verdict", "relay", "rule", "web"))
                .as("requests forwarded: one request record each").isEqualTo(allowed).isEqualTo(requests.size());
        assertThat(sum(s, "clawgress_decisions_total", "kind", "request")).isEqualTo(requests.size());

        assertThat(sum(s, "clawgress_connections_ended_total", "termination", "completed")).isEqualTo(allowed);
        assertThat(sum(s, "clawgress_connections_ended_total", "termination", "policy_denied")).isEqualTo(denied);
        assertThat(sum(s, "clawgress_connections_ended_total")).isEqualTo(CONNECTIONS);
        assertThat(sum(s, "clawgress_requests_ended_total", "termination", "completed")).isEqualTo(allowed);
        assertThat(sum(s, "clawgress_connections_open")).isZero();

        assertThat(sum(s, "clawgress_bytes_total", "direction", "up")).as("bytes up = the flow records' sum")
                .isEqualTo(recordsUp).isEqualTo(clientsSent);
        assertThat(sum(s, "clawgress_bytes_total", "direction", "down")).as("bytes down = the flow records' sum")
                .isEqualTo(recordsDown).isEqualTo(clientsReceived);

        assertThat(sum(s, "clawgress_peek_duration_seconds_count", "outcome", "http"))
                .as("every connection opened with an HTTP request head").isEqualTo(CONNECTIONS);
        assertThat(sum(s, "clawgress_peek_duration_seconds_bucket", "outcome", "http", "le", "+Inf"))
                .isEqualTo(CONNECTIONS);
        assertThat(sum(s, "clawgress_decision_duration_seconds_count", "kind", "flow")).isEqualTo(CONNECTIONS);
        assertThat(sum(s, "clawgress_decision_duration_seconds_count", "kind", "request")).isEqualTo(allowed);
        assertThat(sum(s, "clawgress_identity_failures_total")).isZero();
        assertThat(sum(s, "clawgress_dns_lookups_total")).as("address rules resolve no names").isZero();

        assertThat(sum(s, "clawgress_audit_records_dropped_total")).isZero();
        assertThat(sum(s, "clawgress_audit_write_errors_total")).isZero();
        assertThat(sum(s, "clawgress_audit_failing")).isZero();
        assertThat(sum(s, "clawgress_audit_records_written_total")).as("every record reached the audit log")
                .isGreaterThanOrEqualTo(CONNECTIONS + requests.size());
        assertThat(sum(s, "jvm_threads_live_threads")).isPositive();
        assertThat(sum(s, "process_files_open_files")).isPositive();

        assertThat(gateway.stop()).as("SIGTERM: exit 0").isZero();
    }
}
