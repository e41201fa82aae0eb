package io.clawgress.appliance.daemon;

import io.clawgress.api.FlowDecider;
import io.clawgress.appliance.Version;
import io.clawgress.appliance.config.ClawgressConfig;
import io.clawgress.appliance.metrics.GatewayMetrics;
import io.clawgress.appliance.metrics.PrometheusEndpoint;
import io.clawgress.api.AuditSink;
import io.clawgress.enforcement.audit.AuditKey;
import io.clawgress.enforcement.audit.AuditLog;
import io.clawgress.enforcement.flowlog.JsonLinesFlowLog;
import io.clawgress.enforcement.net.Addresses;
import io.clawgress.enforcement.activation.ActivePolicy;
import io.clawgress.enforcement.policy.PolicyDecider;
import io.clawgress.enforcement.ratelimit.RateLimiter;
import io.clawgress.tproxy.TransparentProxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The running daemon: the only place that wires concrete classes together. Start order: audit log (records must
 * have somewhere to go) and the optional flow log, policy (last-known-good from the store, or deny-all), identity,
 * listener, bundle sources; stop order is the reverse, so every flow's record is written.
 */
public final class Clawgressd implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Clawgressd.class);
    public static final String READY_MESSAGE = "clawgressd ready";
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private final JsonLinesFlowLog flowLog;
    private final PolicyService policy;
    private final IdentityService identity;
    private final TransparentProxy proxy;
    private final ScheduledExecutorService limiterSweep;
    private final AuditLog audit;
    private final GatewayMetrics metrics;
    /** The TCP scrape endpoint, or {@code null} when {@code metrics.listen} is off. */
    private final PrometheusEndpoint metricsEndpoint;
    /** The admin API; set once by start, after the daemon is built (its routes reach the daemon). */
    private volatile io.clawgress.appliance.admin.AdminServer admin;
    /** The rate limiter of every decision (GET /v1/quotas); set once by start. */
    private volatile RateLimiter limiter;
    /** SIGHUP and POST /v1/reload; set once by start. */
    private volatile Reloader reloader;
    /** How long close() lets open flows finish; a reload may change it. */
    private volatile Duration drainTimeout = ClawgressConfig.DEFAULT_DRAIN_TIMEOUT;

    private Clawgressd(JsonLinesFlowLog flowLog, AuditLog audit, PolicyService policy, IdentityService identity,
                       TransparentProxy proxy, ScheduledExecutorService limiterSweep, GatewayMetrics metrics,
                       PrometheusEndpoint metricsEndpoint) {
        this.metrics = metrics;
        this.metricsEndpoint = metricsEndpoint;
        this.audit = audit;
        this.flowLog = flowLog;
        this.policy = policy;
        this.identity = identity;
        this.proxy = proxy;
        this.limiterSweep = limiterSweep;
    }

    /**
     * Starts everything or nothing: what started before a failure is closed again, in reverse order.
     *
     * @throws StartException with an operator-readable reason
     */
    public static Clawgressd start(ClawgressConfig config) throws StartException {
        return start(config, SdNotify.disabled());
    }

    /**
     * As {@link #start(ClawgressConfig)}, telling systemd about reloads through {@code notify} (readiness and
     * stopping are the caller's to announce).
     */
    public static Clawgressd start(ClawgressConfig config, SdNotify notify) throws StartException {
        Clock clock = Clock.systemUTC();
        Deque<Runnable> undo = new ArrayDeque<>();
        try {
            AuditLog audit = null;
            if (config.audit() == null) {
                log.warn("audit.enabled is false: decisions are not kept in a tamper-evident audit log{}",
                        config.flowLog() == null ? ", and no flow_log is configured either: NO RECORD of any decision"
                                + " is kept" : " (only the flow log " + config.flowLog().path() + ")");
            } else {
                try {
                    audit = AuditLog.open(config.audit(), AuditKey.openOrCreate(config.policy().stateDir()), clock);
                } catch (IOException | RuntimeException e) {
                    throw new StartException("audit log " + config.audit().dir() + ": " + e.getMessage(), e);
                }
                AuditLog opened = audit;
                undo.push(() -> opened.close(STOP_GRACE));
            }
            JsonLinesFlowLog flowLog = null;
            if (config.flowLog() != null) {
                try {
                    flowLog = JsonLinesFlowLog.open(config.flowLog(), clock);
                } catch (IOException e) {
                    throw new StartException(e.getMessage(), e);
                }
                undo.push(flowLog::close);
            }
            // Metrics count the same records the logs get (MetricsSink), and read the logs' own counters.
            GatewayMetrics metrics = new GatewayMetrics(Version.get());
            undo.push(metrics::close);
            if (audit != null) {
                metrics.bindAudit(audit);
            }
            if (flowLog != null) {
                metrics.bindFlowLog(flowLog);
            }
            List<AuditSink> sinks = new ArrayList<>(2);
            if (audit != null) {
                sinks.add(audit);
            }
            if (flowLog != null) {
                sinks.add(flowLog);
            }
            AuditSink sink = metrics.sink(sinks.size() == 1 ? sinks.get(0) : new TeeSink(sinks));
            PolicyService policy = PolicyService.start(config.policy(), clock);
            undo.push(policy::close);
            metrics.bindPolicyRevision(() -> policy.active().revision());
            policy.activator().ifPresent(a -> {
                if (a.lastResult() != null) {
                    metrics.activation(a.lastResult()); // the restore, before any source runs
                }
                a.onResult(metrics::activation);
            });
            IdentityService identity = IdentityService.start(config.identity(), config.policy().stateDir(),
                    policy.agentDirectory(), policy.active(), clock);
            undo.push(identity::close);
            // One limiter for the daemon's life: buckets outlive snapshots, so a swap that keeps a rule's limit keeps
            // its state. Idle buckets are swept once a second, off the event loops.
            RateLimiter limiter = new RateLimiter();
            ScheduledExecutorService limiterSweep = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "clawgress-rate-limit-sweep");
                t.setDaemon(true);
                return t;
            });
            undo.push(limiterSweep::shutdownNow);
            limiterSweep.scheduleWithFixedDelay(() -> limiter.sweep(System.nanoTime()), 1, 1, TimeUnit.SECONDS);
            AuditLog auditLog = audit;
            TransparentProxy proxy;
            try {
                proxy = TransparentProxy.start(config.proxy(), new PolicyDecider(policy.snapshots(),
                        policy.agentDirectory(), limiter, System::nanoTime), sink, identity.gateSettings(),
                        identity.interceptServices(), auditLog == null ? () -> true : auditLog::accepting, metrics);
            } catch (TransparentProxy.ListenerException e) {
                throw new StartException(e.getMessage(), e);
            }
            undo.push(() -> proxy.stop(STOP_GRACE));
            metrics.bindConnections(proxy::openConnections);
            PrometheusEndpoint metricsEndpoint = startMetricsEndpoint(config, metrics);
            if (metricsEndpoint != null) {
                undo.push(metricsEndpoint::close);
            }
            policy.startSources(active -> {
                identity.policyActivated(active);
                revokeDenied(proxy, active);
            }, agents -> revokeAgents(proxy, agents));
            Clawgressd daemon = new Clawgressd(flowLog, audit, policy, identity, proxy, limiterSweep, metrics,
                    metricsEndpoint);
            daemon.drainTimeout = config.drainTimeout();
            daemon.limiter = limiter;
            daemon.reloader = new Reloader(config, new ReloadParts(policy, identity, flowLog,
                    d -> daemon.drainTimeout = d), notify, clock);
            StatusReport status = new StatusReport(config, clock.instant(), clock, policy, proxy, audit,
                    () -> daemon.metricsEndpoint == null ? null : daemon.metricsEndpoint.address(), () -> {
                        ReloadResult last = daemon.lastReload();
                        return last == null ? null : AdminService.reload(last);
                    });
            daemon.admin = AdminService.start(config, AdminService.routes(daemon, status), audit, clock);
            ActivePolicy active = policy.active();
            log.info("{}: version {}, listening on {} ({}), policy {}, audit log {}{}", READY_MESSAGE, Version.get(),
                    Addresses.hostPort(config.proxy().listen()), proxy.transport().code(), describe(active),
                    audit == null ? "DISABLED" : config.audit().dir(),
                    flowLog == null ? "" : ", flow log " + config.flowLog().path());
            undo.clear();
            return daemon;
        } finally {
            while (!undo.isEmpty()) {
                try {
                    undo.pop().run();
                } catch (RuntimeException e) {
                    log.warn("cleaning up after a failed start", e);
                }
            }
        }
    }

    /** Starts {@code GET /metrics} on {@code metrics.listen}, or returns {@code null} when it is off. */
    private static PrometheusEndpoint startMetricsEndpoint(ClawgressConfig config, GatewayMetrics metrics)
            throws StartException {
        if (config.metrics() == null || !config.metrics().enabled()) {
            log.info("metrics: TCP endpoint off (metrics.listen: null); GET /v1/metrics on the admin socket");
            return null;
        }
        try {
            PrometheusEndpoint endpoint = PrometheusEndpoint.start(config.metrics().listen(), metrics);
            log.info("metrics: Prometheus text at http://{}{} and GET /v1/metrics on the admin socket",
                    Addresses.hostPort(endpoint.address()), PrometheusEndpoint.PATH);
            return endpoint;
        } catch (IOException e) {
            throw new StartException("metrics.listen: " + e.getMessage(), e);
        }
    }

    /** After a swap (activation thread): open flows the new policy denies are reset as {@code policy_revoked}. */
    private static void revokeDenied(TransparentProxy proxy, ActivePolicy active) {
        long start = System.nanoTime();
        proxy.reevaluateOpenFlows().whenComplete((revoked, error) -> {
            if (error != null) {
                log.error("re-evaluating open flows against revision {} failed", active.revision(), error);
            } else {
                log.info("policy revision {}: {} open flow(s) revoked, re-evaluated in {} ms", active.revision(),
                        revoked, (System.nanoTime() - start) / 1_000_000);
            }
        });
    }

    /** After the registry disabled agents (watcher thread): their open flows are re-decided, so reset. */
    private static void revokeAgents(TransparentProxy proxy, java.util.Set<String> agents) {
        proxy.reevaluateOpenFlows().whenComplete((revoked, error) -> {
            if (error != null) {
                log.error("re-evaluating open flows after disabling {} failed", agents, error);
            } else {
                log.info("agents {} disabled: {} open flow(s) revoked", agents, revoked);
            }
        });
    }

    private static String describe(ActivePolicy p) {
        if (p.signed()) {
            return "revision " + p.revision() + " (kid " + p.kid() + ", from " + p.source() + ")";
        }
        return p.source().startsWith("unsafe_unsigned:") ? "UNSIGNED " + p.source()
                : "none: denying everything until a valid signed bundle is activated";
    }

    /** The policy in force now. */
    public ActivePolicy activePolicy() {
        return policy.active();
    }

    public TransparentProxy proxy() {
        return proxy;
    }

    /** The rate limiter that outlives policy snapshots (its buckets are what {@code quota show} shows). */
    RateLimiter rateLimiter() {
        return limiter;
    }

    /** The policy service: its activator and store are what the admin API's bundle endpoints reach. */
    PolicyService policyService() {
        return policy;
    }

    /** The daemon's open agent registry (the admin API writes it), or null when it runs without a policy. */
    io.clawgress.enforcement.agents.AgentRegistry agentRegistry() {
        return policy.registry();
    }

    /** The gateway's state_dir (a change needs a restart). */
    java.nio.file.Path stateDir() {
        return policy.settings().stateDir();
    }

    /** The SPIFFE trust domain of agent certificates (a change needs a restart). */
    String trustDomain() {
        return identity.trustDomain();
    }

    /** The daemon's metrics: {@link GatewayMetrics#scrape()} for {@code GET /v1/metrics}. */
    public GatewayMetrics metrics() {
        return metrics;
    }

    /**
     * Reloads the config file (SIGHUP, {@code POST /v1/reload}) on the reload thread, after any reload already
     * running: what is reloadable is applied without touching open connections, the rest is reported as needing a
     * restart, and an invalid file changes nothing. Any thread; never blocks.
     */
    public CompletableFuture<ReloadResult> reloadAsync() {
        return reloader.submit();
    }

    /** {@link #reloadAsync()}, waiting for the result. Blocks the caller (never an event loop). */
    public ReloadResult reload() {
        try {
            return reloadAsync().join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof IllegalStateException ise ? ise
                    : new IllegalStateException("reload failed: " + e.getCause(), e.getCause());
        }
    }

    /** The last reload's result, or {@code null} when there was none since start. */
    public ReloadResult lastReload() {
        return reloader.last();
    }

    /** How long a stop lets open flows finish ({@code timeouts.drain}, as last loaded). */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    /** Stops accepting, ends open flows ({@code shutdown}), writes their records, seals the audit log. */
    @Override
    public void close() {
        log.info("clawgressd stopping: {} open connection(s)", proxy.openConnections());
        // First, so the listener closes at once; open flows finish within the drain timeout or are cut as shutdown.
        // The policy (and the admin API) stay up meanwhile: draining flows are still decided and revocable.
        TransparentProxy.DrainResult drained = proxy.drain(drainTimeout);
        log.info("drain: {} open flow(s) at the stop: {} finished within {} ms, {} cut (shutdown)", drained.open(),
                drained.finished(), drainTimeout.toMillis(), drained.cut());
        if (admin != null) {
            admin.close();
        }
        reloader.close();
        policy.close();
        limiterSweep.shutdownNow();
        identity.close();
        if (audit != null) {
            // Every open flow's record was offered when proxy.stop closed it: drain, then seal with a checkpoint.
            if (!audit.close(STOP_GRACE)) {
                log.error("audit log: not everything reached the disk within {} ({} record(s) dropped)", STOP_GRACE,
                        audit.dropped());
            }
            log.info("audit log: {} record(s) written, {} dropped, last seq {}", audit.written(), audit.dropped(),
                    audit.lastSeq());
        }
        if (flowLog != null) {
            flowLog.close(STOP_GRACE.toMillis());
            if (flowLog.dropped() > 0) {
                log.error("flow log dropped {} record(s) (queue full)", flowLog.dropped());
            }
            log.info("flow log: {} record(s) written", flowLog.written());
        }
        // Scrapes keep working through the drain; they end with the daemon.
        if (metricsEndpoint != null) {
            metricsEndpoint.close();
        }
        metrics.close();
        log.info("clawgressd stopped; flows by termination: {}", proxy.terminationCounts().summary());
    }

    /** The daemon could not start. */
    public static final class StartException extends Exception {
        public StartException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
