package io.clawgress.appliance.metrics;

import io.clawgress.api.AuditSink;
import io.clawgress.api.DataPathObserver.DecisionKind;
import io.clawgress.api.DataPathObserver.DnsOutcome;
import io.clawgress.api.DataPathObserver.PeekOutcome;
import io.clawgress.api.Decision;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.RequestRecord;
import io.clawgress.api.Termination;
import io.clawgress.enforcement.activation.ActivationResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class GatewayMetricsTest {

    private static final InetSocketAddress AGENT = new InetSocketAddress("198.18.1.2", 40000);
    private static final InetSocketAddress UPSTREAM = new InetSocketAddress("198.18.2.2", 443);

    private final GatewayMetrics metrics = new GatewayMetrics("1.2.3-test");

    @AfterEach
    void close() {
        metrics.close();
    }

    static FlowRecord flow(String verdict, String rule, String policy, Termination t, long up, long down,
                           boolean wouldDeny, boolean wouldLimit) {
        return new FlowRecord("f1", Instant.EPOCH, AGENT, UPSTREAM, Optional.empty(), verdict, "because", rule,
                "7", up, down, Duration.ofMillis(3), t, null, PeekFacts.opaque(), null, policy,
                wouldDeny ? Decision.REPORT : Decision.ENFORCE, wouldDeny, wouldLimit);
    }

    static RequestRecord request(String verdict, String rule, String policy, String code, Termination t) {
        return new RequestRecord("f1", 1, Instant.EPOCH, Optional.empty(), "GET", "example.com", "/", verdict,
                "because", rule, "7", code == null ? 0 : 403, code, policy, Decision.ENFORCE, false, false, 200, 10,
                20, Duration.ZERO, t);
    }

    private double decisions(String kind, String verdict, String reason, String policy, String rule) {
        Counter c = metrics.registry().find("clawgress.decisions").tags("kind", kind, "verdict", verdict, "reason",
                reason, "policy", policy, "rule", rule).counter();
        return c == null ? 0 : c.count();
    }

    private double counter(String name, String... tags) {
        Counter c = metrics.registry().find(name).tags(tags).counter();
        assertThat(c).as(name + " " + List.of(tags)).isNotNull();
        return c.count();
    }

    @Test
    void flowRecordsCountDecisionsEndingsAndBytes() {
        AuditSink sink = metrics.sink(r -> { });
        sink.record(flow("relay", "web", "agents", Termination.COMPLETED, 100, 2000, false, false));
        sink.record(flow("relay", "web", "agents", Termination.CLIENT_RESET, 5, 7, false, false));
        sink.record(flow("deny", "default", null, Termination.POLICY_DENIED, 0, 0, false, false));
        sink.record(flow("deny", "peek", null, Termination.PEEK_TIMEOUT, 3, 0, false, false));
        sink.record(flow("relay", "report-rule", "trial", Termination.COMPLETED, 1, 1, true, false));
        sink.record(flow("relay", "limited", "agents", Termination.COMPLETED, 1, 1, false, true));

        assertThat(decisions("flow", "relay", "allowed", "agents", "web")).isEqualTo(2);
        assertThat(decisions("flow", "deny", "policy_denied", "none", "default")).isEqualTo(1);
        assertThat(decisions("flow", "deny", "peek_timeout", "none", "peek")).isEqualTo(1);
        assertThat(decisions("flow", "relay", "would_deny", "trial", "report-rule")).isEqualTo(1);
        assertThat(decisions("flow", "relay", "would_limit", "agents", "limited")).isEqualTo(1);
        assertThat(counter("clawgress.connections.ended", "termination", "completed")).isEqualTo(3);
        assertThat(counter("clawgress.connections.ended", "termination", "client_reset")).isEqualTo(1);
        assertThat(counter("clawgress.connections.ended", "termination", "policy_denied")).isEqualTo(1);
        assertThat(counter("clawgress.connections.ended", "termination", "loop")).isZero();
        assertThat(counter("clawgress.bytes", "direction", "up")).isEqualTo(110);
        assertThat(counter("clawgress.bytes", "direction", "down")).isEqualTo(2009);
    }

    @Test
    void requestRecordsCountRequestDecisionsAndEndingsButNotBytesTwice() {
        AuditSink sink = metrics.sink(r -> { });
        sink.request(request("relay", "web", "agents", null, Termination.COMPLETED));
        sink.request(request("deny", "no-admin", "agents", "policy_denied", Termination.POLICY_DENIED));
        sink.request(request("deny", "jwt_expired", null, "jwt_expired", Termination.IDENTITY_INVALID));

        assertThat(decisions("request", "relay", "allowed", "agents", "web")).isEqualTo(1);
        assertThat(decisions("request", "deny", "policy_denied", "agents", "no-admin")).isEqualTo(1);
        assertThat(decisions("request", "deny", "jwt_expired", "none", "jwt_expired")).isEqualTo(1);
        assertThat(counter("clawgress.requests.ended", "termination", "identity_invalid")).isEqualTo(1);
        assertThat(counter("clawgress.requests.ended", "termination", "completed")).isEqualTo(1);
        // a request's bytes are part of its connection's: only flow records add to clawgress_bytes
        assertThat(counter("clawgress.bytes", "direction", "up")).isZero();
        assertThat(counter("clawgress.connections.ended", "termination", "completed")).isZero();
    }

    @Test
    void theSinkHandsEveryRecordOnAfterCountingIt() {
        List<Object> seen = new ArrayList<>();
        AuditSink next = new AuditSink() {
            @Override
            public void record(FlowRecord record) {
                assertThat(counter("clawgress.connections.ended", "termination", "completed")).isEqualTo(1);
                seen.add(record);
            }

            @Override
            public void request(RequestRecord record) {
                seen.add(record);
            }
        };
        AuditSink sink = metrics.sink(next);
        FlowRecord f = flow("relay", "web", "agents", Termination.COMPLETED, 1, 1, false, false);
        RequestRecord q = request("relay", "web", "agents", null, Termination.COMPLETED);
        sink.record(f);
        sink.request(q);
        assertThat(seen).containsExactly(f, q);
    }

    @Test
    void policyAndRuleLabelsAreBoundedThenOther() {
        AuditSink sink = metrics.sink(r -> { });
        int extra = 50;
        for (int i = 0; i < GatewayMetrics.MAX_RULES + extra; i++) {
            sink.record(flow("relay", "rule-" + i, "policy-" + i, Termination.COMPLETED, 0, 0, false, false));
        }
        assertThat(decisions("flow", "relay", "allowed", "policy-0", "rule-0")).isEqualTo(1);
        assertThat(decisions("flow", "relay", "allowed", "policy-199", "rule-199")).isEqualTo(1);
        assertThat(decisions("flow", "relay", "allowed", "other", "other")).isEqualTo(extra);
        assertThat(metrics.registry().find("clawgress.decisions").counters())
                .as("one series per admitted policy/rule pair, plus other").hasSize(GatewayMetrics.MAX_RULES + 1);
        // a value seen before the cap keeps its own series afterwards
        sink.record(flow("relay", "rule-3", "policy-3", Termination.COMPLETED, 0, 0, false, false));
        assertThat(decisions("flow", "relay", "allowed", "policy-3", "rule-3")).isEqualTo(2);
        assertThat(metrics.labelUse()).contains("policy (200/200)", "rule (200/200)");
    }

    @Test
    void boundedLabelAdmitsExactlyItsCapUnderContention() throws Exception {
        BoundedLabel label = new BoundedLabel("x", 10);
        List<Thread> threads = new ArrayList<>();
        AtomicInteger others = new AtomicInteger();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < 1000; i++) {
                    if (label.of("v" + i).equals(BoundedLabel.OTHER)) {
                        others.incrementAndGet();
                    }
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        assertThat(label.size()).isEqualTo(10);
        assertThat(label.of(null)).isEqualTo(BoundedLabel.NONE);
        assertThat(label.of("")).isEqualTo(BoundedLabel.NONE);
        assertThat(others.get()).isGreaterThanOrEqualTo(4 * 990);
    }

    @Test
    void observerEventsLandInTheirMeters() {
        metrics.peekFinished(PeekOutcome.TLS, 40_000);
        metrics.peekFinished(PeekOutcome.TLS, 60_000);
        metrics.peekFinished(PeekOutcome.TIMEOUT, 5_000_000_000L);
        metrics.decided(DecisionKind.FLOW, 3_000);
        metrics.decided(DecisionKind.REQUEST, 7_000);
        metrics.dnsLookup(DnsOutcome.OK);
        metrics.dnsLookup(DnsOutcome.NXDOMAIN);
        metrics.dnsLookup(DnsOutcome.NXDOMAIN);
        metrics.identityFailure("jwt_expired");
        metrics.identityFailure("jwt_expired");
        metrics.identityFailure("client_cert_untrusted");

        Timer tls = metrics.registry().find("clawgress.peek.duration").tag("outcome", "tls").timer();
        assertThat(tls.count()).isEqualTo(2);
        assertThat(tls.totalTime(TimeUnit.NANOSECONDS)).isEqualTo(100_000);
        assertThat(metrics.registry().find("clawgress.peek.duration").tag("outcome", "timeout").timer().count())
                .isEqualTo(1);
        assertThat(metrics.registry().find("clawgress.decision.duration").tag("kind", "request").timer().count())
                .isEqualTo(1);
        assertThat(counter("clawgress.dns.lookups", "outcome", "nxdomain")).isEqualTo(2);
        assertThat(counter("clawgress.dns.lookups", "outcome", "ok")).isEqualTo(1);
        assertThat(counter("clawgress.dns.lookups", "outcome", "timeout")).isZero();
        assertThat(counter("clawgress.identity.failures", "reason", "jwt_expired")).isEqualTo(2);
        assertThat(counter("clawgress.identity.failures", "reason", "client_cert_untrusted")).isEqualTo(1);

        for (int i = 0; i < GatewayMetrics.MAX_IDENTITY_REASONS + 5; i++) {
            metrics.identityFailure("made_up_" + i);
        }
        assertThat(metrics.registry().find("clawgress.identity.failures").counters())
                .hasSize(GatewayMetrics.MAX_IDENTITY_REASONS + 1);
        assertThat(counter("clawgress.identity.failures", "reason", "other")).isEqualTo(7);
    }

    @Test
    void gaugesReadTheirSourcesAtScrapeTime() {
        AtomicInteger open = new AtomicInteger(3);
        AtomicLong revision = new AtomicLong(0);
        AtomicLong written = new AtomicLong(10);
        AtomicBoolean failing = new AtomicBoolean();
        metrics.bindConnections(open::get);
        metrics.bindPolicyRevision(revision::get);
        metrics.bindAudit(written::get, () -> 2, () -> 1, () -> 5, failing::get);
        System.gc(); // Micrometer holds function counters' objects weakly: they must survive a collection
        String before = metrics.scrape();
        assertThat(before).contains("clawgress_connections_open 3.0", "clawgress_policy_revision 0.0",
                "clawgress_audit_records_written_total 10.0", "clawgress_audit_records_dropped_total 2.0",
                "clawgress_audit_write_errors_total 1.0", "clawgress_audit_queue_depth 5.0",
                "clawgress_audit_failing 0.0");
        open.set(0);
        revision.set(42);
        written.set(11);
        failing.set(true);
        assertThat(metrics.scrape()).contains("clawgress_connections_open 0.0", "clawgress_policy_revision 42.0",
                "clawgress_audit_records_written_total 11.0", "clawgress_audit_failing 1.0");
    }

    @Test
    void activationResultsCountByResultAndReason() {
        metrics.activation(new ActivationResult(ActivationResult.Outcome.ACTIVATED, 3, "k1", "file", null, null));
        metrics.activation(new ActivationResult(ActivationResult.Outcome.ACTIVATED, 4, "k1", "url", null, null));
        metrics.activation(new ActivationResult(ActivationResult.Outcome.REJECTED, 0, null, "url", "bad_signature",
                "no"));
        metrics.activation(new ActivationResult(ActivationResult.Outcome.UNCHANGED, 4, "k1", "url", null, null));
        assertThat(counter("clawgress.policy.activations", "result", "activated", "reason", "none")).isEqualTo(2);
        assertThat(counter("clawgress.policy.activations", "result", "rejected", "reason", "bad_signature"))
                .isEqualTo(1);
        assertThat(counter("clawgress.policy.activations", "result", "unchanged", "reason", "none")).isEqualTo(1);
    }

    @Test
    void theScrapeIsPrometheusTextWithHelpTypeAndBuckets() throws Exception {
        AuditSink sink = metrics.sink(r -> { });
        sink.record(flow("deny", "default", null, Termination.POLICY_DENIED, 0, 0, false, false));
        metrics.peekFinished(PeekOutcome.HTTP, 30_000);
        String text = metrics.scrape();
        assertThat(GatewayMetrics.CONTENT_TYPE).startsWith("text/plain; version=0.0.4");
        assertThat(text)
                .contains("# TYPE clawgress_decisions_total counter")
                .contains("clawgress_decisions_total{kind=\"flow\",policy=\"none\",reason=\"policy_denied\","
                        + "rule=\"default\",verdict=\"deny\"} 1.0")
                .contains("# HELP clawgress_connections_ended_total")
                .contains("clawgress_connections_ended_total{termination=\"policy_denied\"} 1.0")
                .contains("# TYPE clawgress_peek_duration_seconds histogram")
                .contains("clawgress_peek_duration_seconds_bucket{outcome=\"http\",le=\"5.0E-5\"} 1")
                .contains("clawgress_peek_duration_seconds_bucket{outcome=\"http\",le=\"1.0E-5\"} 0")
                .contains("clawgress_peek_duration_seconds_count{outcome=\"http\"} 1")
                .contains("clawgress_peek_duration_seconds_bucket{outcome=\"http\",le=\"+Inf\"} 1")
                .contains("clawgress_build_info{version=\"1.2.3-test\"} 1")
                .contains("jvm_memory_used_bytes", "jvm_gc_", "jvm_threads_live_threads", "process_cpu_usage",
                        "process_uptime_seconds", "process_files_open_files");
        assertThat(text.lines().filter(l -> l.startsWith("clawgress_peek_duration_seconds_bucket{outcome=\"http\""))
                .count()).as("19 buckets from 10 µs to 10 s, and +Inf").isEqualTo(20);
        Promtool.checkMetrics(text);
    }
}
