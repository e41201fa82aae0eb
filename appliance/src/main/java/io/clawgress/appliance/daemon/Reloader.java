package io.clawgress.appliance.daemon;

import io.clawgress.appliance.config.ClawgressConfig;
import io.clawgress.appliance.config.ConfigException;
import io.clawgress.appliance.config.ConfigLoader;
import io.clawgress.appliance.config.IdentitySettings;
import io.clawgress.appliance.config.PolicySettings;
import io.clawgress.enforcement.flowlog.FlowLogSettings;
import io.clawgress.enforcement.yaml.YamlError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Reloads the config file the daemon started with: on its own thread ({@code clawgress-reload}), one reload at a
 * time, never on an event loop, never touching open connections.
 *
 * <p>An invalid file changes nothing: the errors are logged and returned. A valid one is compared with what runs
 * ({@link ConfigDiff}); what a reload can apply is handed to the {@link Parts}, each part all or nothing, and every
 * other change is reported as needing a restart. The policy's sources, the CA files and the flow log are re-read on
 * every reload even when the file did not change: that is what a reload after rotating them is for.
 */
final class Reloader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Reloader.class);

    /** What a reload can apply. Each method runs on the reload thread and may block briefly. */
    interface Parts {
        /**
         * Re-reads the trusted keys and restarts the bundle sources with {@code next} (same policy mode as now).
         *
         * @return what took effect, one line each
         * @throws PartFailure when nothing was changed, with the reason
         */
        List<String> policy(PolicySettings next) throws PartFailure;

        /** Re-reads the CA files of identity and interception, for new connections. */
        List<String> identity(IdentitySettings next) throws PartFailure;

        /** Reopens the flow log file (after logrotate moved it), at {@code next.path()}. */
        List<String> flowLog(FlowLogSettings next) throws PartFailure;

        /** The drain timeout the next stop uses. */
        void drainTimeout(Duration next);
    }

    /** A part that could not be applied; what ran before stays. */
    static final class PartFailure extends Exception {
        private static final long serialVersionUID = 1L;

        PartFailure(String message) {
            super(message);
        }
    }

    private final ClawgressConfig started;
    private final Parts parts;
    private final SdNotify notify;
    private final Clock clock;
    private final ExecutorService thread;
    // In force now: the started config's, or what the last reload applied. Only the reload thread (or a test's
    // caller of reloadNow, under the lock) writes them.
    private PolicySettings policy;
    private IdentitySettings identity;
    private FlowLogSettings flowLog;
    private Duration drainTimeout;
    private volatile ReloadResult last;

    Reloader(ClawgressConfig started, Parts parts, SdNotify notify, Clock clock) {
        this.started = Objects.requireNonNull(started, "started");
        this.parts = Objects.requireNonNull(parts, "parts");
        this.notify = Objects.requireNonNull(notify, "notify");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.policy = started.policy();
        this.identity = started.identity();
        this.flowLog = started.flowLog();
        this.drainTimeout = started.drainTimeout();
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "clawgress-reload");
            t.setDaemon(true);
            return t;
        });
    }

    /** Queues a reload; completes on the reload thread. Any thread. */
    CompletableFuture<ReloadResult> submit() {
        try {
            return CompletableFuture.supplyAsync(this::reloadNow, thread);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("the daemon is stopping"));
        }
    }

    /** The last reload's result, or {@code null} before the first. */
    ReloadResult last() {
        return last;
    }

    /** The whole reload, on the calling thread (the reload thread, or a test). */
    synchronized ReloadResult reloadNow() {
        notify.reloading("reloading " + started.source());
        log.info("reloading {}", started.source());
        ReloadResult result;
        try {
            result = reload();
        } catch (RuntimeException e) {
            log.error("reload of {} failed on a bug; the daemon runs on as before", started.source(), e);
            result = new ReloadResult(clock.instant(), false, null, List.of(), List.of(), List.of("internal error: "
                    + e));
        }
        last = result;
        report(result);
        notify.ready(result.summary());
        return result;
    }

    private ReloadResult reload() {
        ClawgressConfig next;
        try {
            next = ConfigLoader.load(started.source());
        } catch (ConfigException e) {
            List<String> errors = e.errors().stream().map(YamlError::toString).toList();
            return ReloadResult.invalid(clock.instant(), errors.isEmpty() ? List.of(e.getMessage()) : errors);
        }
        List<String> applied = new ArrayList<>();
        List<String> restart = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (ConfigDiff.Change c : ConfigDiff.proxy(started.proxy(), next.proxy())) {
            restart.add(c.restartLine());
        }
        for (ConfigDiff.Change c : ConfigDiff.audit(started.audit(), next.audit())) {
            restart.add(c.restartLine());
        }
        for (ConfigDiff.Change c : ConfigDiff.admin(started.admin(), next.admin())) {
            restart.add(c.restartLine());
        }
        for (ConfigDiff.Change c : ConfigDiff.metrics(started.metrics(), next.metrics())) {
            restart.add(c.restartLine());
        }
        reloadPolicy(next.policy(), applied, restart, errors);
        reloadIdentity(next.identity(), applied, restart, errors);
        reloadFlowLog(next.flowLog(), applied, restart, errors);
        for (ConfigDiff.Change c : ConfigDiff.drain(drainTimeout, next.drainTimeout())) {
            parts.drainTimeout(next.drainTimeout());
            drainTimeout = next.drainTimeout();
            applied.add(c.what());
        }
        return new ReloadResult(clock.instant(), errors.isEmpty(), next.sha256(), applied, restart, errors);
    }

    private void reloadPolicy(PolicySettings next, List<String> applied, List<String> restart, List<String> errors) {
        List<ConfigDiff.Change> changes = ConfigDiff.policy(policy, next);
        changes.stream().filter(c -> !c.reloadable()).forEach(c -> restart.add(c.restartLine()));
        if (policy.trustedKeys() == null || next.trustedKeys() == null) {
            return; // no signed sources now (none, or the unsafe directory), or a mode switch: restart only
        }
        // Only what a reload may change; the rest stays as started (and was reported above if it differs).
        PolicySettings merged = new PolicySettings(policy.stateDir(), next.trustedKeys(), next.bundleFile(),
                next.dropDir(), next.bundleUrl(), next.bundleUrlCa(), next.bundleUrlInterval(), policy.generations(),
                policy.maxBundleBytes(), policy.unsafeUnsignedPolicyDir());
        try {
            List<String> done = parts.policy(merged);
            changes.stream().filter(ConfigDiff.Change::reloadable).forEach(c -> applied.add(c.what()));
            applied.addAll(done);
            policy = merged;
        } catch (PartFailure e) {
            errors.add("policy: " + e.getMessage() + "; the previous trusted keys and bundle sources stay");
        }
    }

    private void reloadIdentity(IdentitySettings next, List<String> applied, List<String> restart,
                                List<String> errors) {
        List<ConfigDiff.Change> changes = ConfigDiff.identity(identity, next);
        changes.stream().filter(c -> !c.reloadable()).forEach(c -> restart.add(c.restartLine()));
        IdentitySettings merged = new IdentitySettings(identity.trustDomain(), identity.jwtHeader(),
                identity.jwtClockSkew(), identity.clientCertificates(), next.upstreamCa(),
                next.upstreamHandshakeTimeout());
        try {
            List<String> done = parts.identity(merged);
            changes.stream().filter(ConfigDiff.Change::reloadable).forEach(c -> applied.add(c.what()));
            applied.addAll(done);
            identity = merged;
        } catch (PartFailure e) {
            errors.add("intercept: " + e.getMessage() + "; the previous CA files stay in use");
        }
    }

    private void reloadFlowLog(FlowLogSettings next, List<String> applied, List<String> restart,
                               List<String> errors) {
        List<ConfigDiff.Change> changes = ConfigDiff.flowLog(flowLog, next);
        changes.stream().filter(c -> !c.reloadable()).forEach(c -> restart.add(c.restartLine()));
        if (flowLog == null || next == null || FlowLogSettings.STDOUT.equals(flowLog.path())
                || FlowLogSettings.STDOUT.equals(next.path())) {
            return;
        }
        FlowLogSettings merged = new FlowLogSettings(next.path(), flowLog.queueCapacity());
        try {
            List<String> done = parts.flowLog(merged);
            changes.stream().filter(ConfigDiff.Change::reloadable).forEach(c -> applied.add(c.what()));
            applied.addAll(done);
            flowLog = merged;
        } catch (PartFailure e) {
            errors.add("flow_log: " + e.getMessage() + "; records keep going to " + flowLog.path());
        }
    }

    private void report(ReloadResult r) {
        if (r.configSha256() == null) {
            log.error("reload of {} FAILED: the config is invalid; the daemon runs on with the previous config:\n  {}",
                    started.source(), String.join("\n  ", r.errors()));
            return;
        }
        for (String line : r.applied()) {
            log.info("reload: {}", line);
        }
        for (String line : r.needsRestart()) {
            log.warn("reload: {}", line);
        }
        for (String line : r.errors()) {
            log.error("reload: {}", line);
        }
        log.info("reload of {} (sha256 {}): {}", started.source(), r.configSha256(), r.summary());
    }

    /** Lets a running reload finish (bounded), then stops the thread. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("a reload still runs after 10 s; stopping without it");
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
