package io.clawgress.appliance.daemon;

import io.clawgress.appliance.config.IdentitySettings;
import io.clawgress.appliance.config.PolicySettings;
import io.clawgress.enforcement.flowlog.FlowLogSettings;
import io.clawgress.enforcement.flowlog.JsonLinesFlowLog;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/** The running daemon's reloadable parts, as {@link Reloader} applies them. */
final class ReloadParts implements Reloader.Parts {

    private final PolicyService policy;
    private final IdentityService identity;
    private final JsonLinesFlowLog flowLog;
    private final Consumer<Duration> drainTimeout;

    /**
     * @param flowLog      the flow log, or {@code null} when none is configured
     * @param drainTimeout takes a new drain timeout
     */
    ReloadParts(PolicyService policy, IdentityService identity, JsonLinesFlowLog flowLog,
                Consumer<Duration> drainTimeout) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.identity = Objects.requireNonNull(identity, "identity");
        this.flowLog = flowLog;
        this.drainTimeout = Objects.requireNonNull(drainTimeout, "drainTimeout");
    }

    @Override
    public List<String> policy(PolicySettings next) throws Reloader.PartFailure {
        return policy.reloadSources(next);
    }

    @Override
    public List<String> identity(IdentitySettings next) throws Reloader.PartFailure {
        return identity.reload(next);
    }

    @Override
    public List<String> flowLog(FlowLogSettings next) throws Reloader.PartFailure {
        if (flowLog == null) {
            throw new Reloader.PartFailure("no flow log runs (restart to enable it)");
        }
        try {
            flowLog.reopen(next.path());
        } catch (IOException e) {
            throw new Reloader.PartFailure(e.getMessage());
        }
        return List.of("flow_log.path " + next.path() + " reopened");
    }

    @Override
    public void drainTimeout(Duration next) {
        drainTimeout.accept(next);
    }
}
