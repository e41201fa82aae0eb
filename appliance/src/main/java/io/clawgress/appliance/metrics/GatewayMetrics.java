package io.clawgress.appliance.metrics;

import io.clawgress.api.AuditSink;
import io.clawgress.api.DataPathObserver;
import io.clawgress.api.FlowRecord;
import io.clawgress.api.RequestRecord;
import io.clawgress.api.Termination;
import io.clawgress.enforcement.activation.ActivationResult;
import io.clawgress.enforcement.audit.AuditLog;
import io.clawgress.enforcement.flowlog.JsonLinesFlowLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The daemon's metrics (docs/metrics.md), in one Prometheus registry: what the data path decided and moved, counted
 * from the same records the audit log gets ({@link #sink}); what no record carries (peek and decision times, name
 * lookups, identity failures) from the {@link DataPathObserver} the listener calls; gauges read from the audit log,
 * the policy and the listener at scrape time; and the JVM's own.
 *
 * <p>Counting runs on the event loops: counters are created once and cached (arrays by enum ordinal, a
 * {@link ConcurrentHashMap} read for labelled ones), so a record costs a few lock-free adds. Labels that come from
 * the policy or from codes are bounded ({@link BoundedLabel}): beyond the caps a value is counted as {@code other}.
 */
public final class GatewayMetrics implements DataPathObserver, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GatewayMetrics.class);

    /** The content type of {@link #scrape()}: Prometheus text format 0.0.4. */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    /** Distinct {@code policy} label values kept; later ones are {@code other}. */
    public static final int MAX_POLICIES = 200;
    /** Distinct {@code rule} label values kept; later ones are {@code other}. */
    public static final int MAX_RULES = 200;
    /** Distinct decision {@code reason} codes kept (the code sets are smaller; this only guards against a bug). */
    public static final int MAX_REASONS = 100;
    /** Distinct identity failure reasons kept. */
    public static final int MAX_IDENTITY_REASONS = 64;
    /** Distinct activation rejection reasons kept. */
    public static final int MAX_ACTIVATION_REASONS = 32;

    /** The {@code reason} of an admitted decision. */
    static final String ALLOWED = "allowed";
    /** The {@code reason} of a decision admitted although a report-mode policy would have denied it. */
    static final String WOULD_DENY = "would_deny";
    /** The {@code reason} of a decision admitted although an {@code alert_only} rate limit was exceeded. */
    static final String WOULD_LIMIT = "would_limit";

    /** Latency buckets, 10 µs to 10 s: a peek or a decision is microseconds; a slow agent's peek is seconds. */
    private static final Duration[] LATENCY_BUCKETS = {
            Duration.ofNanos(10_000), Duration.ofNanos(25_000), Duration.ofNanos(50_000), Duration.ofNanos(100_000),
            Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofNanos(2_500_000),
            Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gcMetrics;
    private final Counter[] flowsEnded = new Counter[Termination.values().length];
    private final Counter[] requestsEnded = new Counter[Termination.values().length];
    private final Counter bytesUp;
    private final Counter bytesDown;
    private final Timer[] peekTimes = new Timer[PeekOutcome.values().length];
    private final Timer[] decisionTimes = new Timer[DecisionKind.values().length];
    private final Counter[] dnsLookups = new Counter[DnsOutcome.values().length];
    private final ConcurrentHashMap<DecisionKey, Counter> decisions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> identityFailures = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<ActivationKey, Counter> activations = new ConcurrentHashMap<>();
    private final BoundedLabel policies = new BoundedLabel("policy", MAX_POLICIES);
    private final BoundedLabel rules = new BoundedLabel("rule", MAX_RULES);
    private final BoundedLabel reasons = new BoundedLabel("reason", MAX_REASONS);
    private final BoundedLabel identityReasons = new BoundedLabel("identity reason", MAX_IDENTITY_REASONS);
    private final BoundedLabel activationReasons = new BoundedLabel("activation reason", MAX_ACTIVATION_REASONS);
    /** What function counters read, held strongly here (Micrometer holds them weakly). */
    private final List<Object> keepAlive = new CopyOnWriteArrayList<>();

    /** A registry with every data-path meter, the build info and the JVM's meters. */
    public GatewayMetrics(String version) {
        this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Gauge.builder("clawgress.build.info", () -> 1).description("The running build; always 1")
                .tag("version", version == null ? "unknown" : version).register(registry);
        for (Termination t : Termination.values()) {
            flowsEnded[t.ordinal()] = Counter.builder("clawgress.connections.ended")
                    .description("Agent connections ended (one flow record each), by termination code")
                    .tag("termination", t.code()).register(registry);
            requestsEnded[t.ordinal()] = Counter.builder("clawgress.requests.ended")
                    .description("HTTP requests decided behind the L7 gate (one request record each), by how their"
                            + " exchange ended")
                    .tag("termination", t.code()).register(registry);
        }
        bytesUp = bytes("up", "read from agents");
        bytesDown = bytes("down", "written to agents");
        for (PeekOutcome o : PeekOutcome.values()) {
            peekTimes[o.ordinal()] = latency("clawgress.peek.duration", "From the first read to the end of the peek",
                    "outcome", o.code());
        }
        for (DecisionKind k : DecisionKind.values()) {
            decisionTimes[k.ordinal()] = latency("clawgress.decision.duration", "Time the policy decider took",
                    "kind", k.code());
        }
        for (DnsOutcome o : DnsOutcome.values()) {
            dnsLookups[o.ordinal()] = Counter.builder("clawgress.dns.lookups")
                    .description("Name lookups for relays to allowed names on the gateway's own resolvers, by"
                            + " outcome (all but ok are failures)")
                    .tag("outcome", o.code()).register(registry);
        }
        new JvmMemoryMetrics().bindTo(registry);
        gcMetrics = new JvmGcMetrics();
        gcMetrics.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    private Counter bytes(String direction, String what) {
        return Counter.builder("clawgress.bytes").baseUnit("bytes")
                .description("Bytes of closed agent connections (their flow records' bytes_up and bytes_down): up ="
                        + " read from agents, down = written to agents")
                .tag("direction", direction).register(registry);
    }

    private Timer latency(String name, String description, String tag, String value) {
        // A Prometheus histogram with these buckets only: Micrometer's percentile histogram would publish ~110
        // buckets per series over the same range, for no better histogram_quantile() at these scales.
        return Timer.builder(name).description(description).tag(tag, value)
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry);
    }

    /** An audit sink that counts every record here, then hands it to {@code next}. */
    public AuditSink sink(AuditSink next) {
        return new MetricsSink(this, next);
    }

    /** Counts one closed flow: its decision, its ending and its bytes. Event loop; never blocks. */
    void flow(FlowRecord r) {
        flowsEnded[r.termination().ordinal()].increment();
        if (r.bytesUp() > 0) {
            bytesUp.increment(r.bytesUp());
        }
        if (r.bytesDown() > 0) {
            bytesDown.increment(r.bytesDown());
        }
        String reason = "deny".equals(r.verdict()) ? r.termination().code() : admittedReason(r.wouldDeny(),
                r.wouldLimit());
        decision(DecisionKind.FLOW, r.verdict(), reason, r.policyId(), r.ruleId()).increment();
    }

    /** Counts one decided request: its decision and how its exchange ended. Event loop; never blocks. */
    void request(RequestRecord r) {
        requestsEnded[r.termination().ordinal()].increment();
        String reason;
        if ("deny".equals(r.verdict())) {
            reason = r.code() != null ? r.code() : r.termination().code();
        } else {
            reason = admittedReason(r.wouldDeny(), r.wouldLimit());
        }
        decision(DecisionKind.REQUEST, r.verdict(), reason, r.policyId(), r.ruleId()).increment();
    }

    private static String admittedReason(boolean wouldDeny, boolean wouldLimit) {
        return wouldDeny ? WOULD_DENY : wouldLimit ? WOULD_LIMIT : ALLOWED;
    }

    private Counter decision(DecisionKind kind, String verdict, String reason, String policy, String rule) {
        DecisionKey key = new DecisionKey(kind, verdict(verdict), reasons.of(reason), policies.of(policy),
                rules.of(rule));
        Counter c = decisions.get(key);
        if (c != null) {
            return c;
        }
        // First time for this label set: registering takes the registry's lock once, never again for this key.
        return decisions.computeIfAbsent(key, k -> Counter.builder("clawgress.decisions")
                .description("Decisions by what they were about (flow or request), verdict, reason code, policy and"
                        + " rule; policy and rule are bounded (" + MAX_POLICIES + " and " + MAX_RULES
                        + " values, then other)")
                .tag("kind", k.kind().code()).tag("verdict", k.verdict()).tag("reason", k.reason())
                .tag("policy", k.policy()).tag("rule", k.rule()).register(registry));
    }

    private static String verdict(String v) {
        return switch (v) {
            case "relay" -> "relay";
            case "intercept" -> "intercept";
            case "deny" -> "deny";
            default -> BoundedLabel.OTHER;
        };
    }

    private record DecisionKey(DecisionKind kind, String verdict, String reason, String policy, String rule) {
    }

    // ---- DataPathObserver: event loops ----------------------------------------------------------------------------

    @Override
    public void peekFinished(PeekOutcome outcome, long nanos) {
        peekTimes[outcome.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void decided(DecisionKind kind, long nanos) {
        decisionTimes[kind.ordinal()].record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void dnsLookup(DnsOutcome outcome) {
        dnsLookups[outcome.ordinal()].increment();
    }

    @Override
    public void identityFailure(String reasonCode) {
        String reason = identityReasons.of(reasonCode);
        Counter c = identityFailures.get(reason);
        if (c == null) {
            c = identityFailures.computeIfAbsent(reason, r -> Counter.builder("clawgress.identity.failures")
                    .description("Requests answered 407 because the agent's identity proved nothing, by reason"
                            + " code (bounded: " + MAX_IDENTITY_REASONS + " values, then other)")
                    .tag("reason", r).register(registry));
        }
        c.increment();
    }

    // ---- what the daemon binds once it exists -------------------------------------------------------------------

    /** Open agent connections, read at scrape time. */
    public void bindConnections(IntSupplier open) {
        Objects.requireNonNull(open, "open");
        Gauge.builder("clawgress.connections.open", () -> open.getAsInt())
                .description("Agent connections open now").register(registry);
    }

    /** The audit log's counters and state, read at scrape time. */
    public void bindAudit(AuditLog audit) {
        bindAudit(audit::written, audit::dropped, audit::writeErrors, audit::queueDepth, audit::failing);
    }

    void bindAudit(LongSupplier written, LongSupplier dropped, LongSupplier writeErrors, IntSupplier queueDepth,
                   BooleanSupplier failing) {
        functionCounter("clawgress.audit.records.written", "Records the audit log wrote", written);
        functionCounter("clawgress.audit.records.dropped", "Records the audit log could not take (queue full, disk"
                + " failing); each gap is announced in the log itself", dropped);
        functionCounter("clawgress.audit.write.errors", "Failed writes of the audit log", writeErrors);
        Gauge.builder("clawgress.audit.queue.depth", () -> queueDepth.getAsInt())
                .description("Records waiting for the audit log's writer").register(registry);
        Gauge.builder("clawgress.audit.failing", () -> failing.getAsBoolean() ? 1 : 0)
                .description("1 while the audit log cannot write (disk full, I/O errors), else 0").register(registry);
    }

    /** The plain flow log's counters, read at scrape time. */
    public void bindFlowLog(JsonLinesFlowLog flowLog) {
        functionCounter("clawgress.flow.log.records.written", "Records the flow log wrote", flowLog::written);
        functionCounter("clawgress.flow.log.records.dropped", "Records the flow log dropped (queue full)",
                flowLog::dropped);
        functionCounter("clawgress.flow.log.write.errors", "Failed writes of the flow log", flowLog::writeErrors);
    }

    /** The active policy's revision (0 while nothing valid is active), read at scrape time. */
    public void bindPolicyRevision(LongSupplier revision) {
        Objects.requireNonNull(revision, "revision");
        Gauge.builder("clawgress.policy.revision", () -> revision.getAsLong())
                .description("Revision of the active policy bundle; 0 while nothing valid is active (deny all)")
                .register(registry);
    }

    /** Counts one activation result (activation thread). */
    public void activation(ActivationResult result) {
        ActivationKey key = new ActivationKey(result.outcome().code(), activationReasons.of(result.reasonCode()));
        Counter c = activations.get(key);
        if (c == null) {
            c = activations.computeIfAbsent(key, k -> Counter.builder("clawgress.policy.activations")
                    .description("Policy bundles tried (restored, activated, rolled back, unchanged or rejected), by"
                            + " result and rejection reason code")
                    .tag("result", k.result()).tag("reason", k.reason()).register(registry));
        }
        c.increment();
    }

    private record ActivationKey(String result, String reason) {
    }

    private void functionCounter(String name, String description, LongSupplier value) {
        keepAlive.add(value); // a function counter holds its object weakly: without this, a lambda is collected
        FunctionCounter.builder(name, value, v -> v.getAsLong()).description(description).register(registry);
    }

    // ---- reading -------------------------------------------------------------------------------------------------

    /** Every meter in Prometheus text format 0.0.4 ({@link #CONTENT_TYPE}). Any thread; never an event loop. */
    public String scrape() {
        return registry.scrape(CONTENT_TYPE);
    }

    /** The registry, for tests and for binding more meters. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Label values admitted so far, for the log at stop: {@code policy (12/200), rule (40/200), ...}. */
    public String labelUse() {
        return policies + ", " + rules + ", " + reasons + ", " + identityReasons + ", " + activationReasons;
    }

    @Override
    public void close() {
        try {
            gcMetrics.close();
        } finally {
            registry.close();
        }
        log.debug("metrics closed; labels used: {}", labelUse());
    }
}
