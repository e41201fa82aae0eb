package io.clawgress.enforcement.policy;

import io.clawgress.api.Decision;
import io.clawgress.api.FlowDecider;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.enforcement.agents.AgentDirectory;
import io.clawgress.enforcement.agents.AgentRecord;
import io.clawgress.enforcement.ratelimit.Admission;
import io.clawgress.enforcement.ratelimit.RateLimiter;

import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The {@link FlowDecider} over compiled policies: reads the current snapshot once per flow (so a swap during the
 * decision changes nothing it saw), takes the identity the agent proved on the flow or else the snapshot's subnet
 * binding for its source, and decides. Replaces the static policy's decider behind the same SPI. Behind the L7 gate
 * it decides each request too: the gate passes the request's HTTP facts and the identity proven on the connection
 * ({@code facts.withPeek(PeekFacts.http(...)).withPresented(...)}), and an HTTP flow is never intercepted. Safe on
 * any thread; called on event loops.
 */
public final class PolicyDecider implements FlowDecider {

    private final Supplier<PolicySnapshot> current;
    private final Supplier<AgentDirectory> agents;
    private final RateLimiter limiter;
    private final LongSupplier nanoTime;

    /**
     * @param current the active snapshot (e.g. an {@code AtomicReference::get} swapped by activation); never null
     */
    public PolicyDecider(Supplier<PolicySnapshot> current) {
        this(current, () -> AgentDirectory.EMPTY);
    }

    /**
     * @param agents the agent registry's latest directory: an agent it lists as disabled is denied everywhere
     *               (DESIGN.md §4), whatever the bundle's bindings say
     */
    public PolicyDecider(Supplier<PolicySnapshot> current, Supplier<AgentDirectory> agents) {
        this(current, agents, null, System::nanoTime);
    }

    /**
     * @param limiter the rate limiter that outlives snapshots (buckets survive a swap when a rule's limit is
     *                unchanged), or {@code null} to enforce no limits
     * @param nanoTime the clock of the limiter ({@code System::nanoTime}; a fake one in tests)
     */
    public PolicyDecider(Supplier<PolicySnapshot> current, Supplier<AgentDirectory> agents, RateLimiter limiter,
                         LongSupplier nanoTime) {
        this.current = Objects.requireNonNull(current, "current");
        this.agents = Objects.requireNonNull(agents, "agents");
        this.limiter = limiter;
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /** Decides and counts the flow (or request) against the deciding rule's rate limit. */
    @Override
    public Decision decide(FlowFacts facts) {
        return decide(facts, true);
    }

    /** Decides without counting: re-evaluation, plaintext admission, hypotheticals ({@link FlowDecider#recheck}). */
    @Override
    public Decision recheck(FlowFacts facts) {
        return decide(facts, false);
    }

    private Decision decide(FlowFacts facts, boolean count) {
        PolicySnapshot snapshot = current.get();
        // A proven identity (mTLS, JWT) outranks the subnet binding: it names the agent, not the machine.
        Optional<Identity> identity = facts.presented().isPresent() ? facts.presented()
                : snapshot.identify(facts.source().getAddress());
        if (identity.isPresent() && identity.get().active()) {
            AgentRecord registered = agents.get().lookup(identity.get().agentId());
            if (registered != null && !registered.active()) {
                Identity i = identity.get();
                identity = Optional.of(new Identity(i.agentId(), i.teamId(), i.projectId(), i.environment(),
                        i.trustTier(), i.auth(), false));
            }
        }
        PolicyDecision d = snapshot.decide(facts, identity);
        Decision decision = new Decision(identity, d.verdict(), d.revision(), d.policyId(), d.mode().code(),
                d.wouldDeny(), false, -1);
        if (!count || limiter == null || d.rateLimit() == null || identity.isEmpty()) {
            return decision;
        }
        Admission admission = limiter.check(d.policyId(), d.ruleId(), d.rateLimit(), identity.get().agentId(),
                d.rateLimitDestination(), nanoTime.getAsLong());
        return switch (admission) {
            case Admission.Admitted a -> decision;
            case Admission.WouldLimit w -> decision.withWouldLimit();
            // A report-mode policy never blocks: its hard_stop limits are recorded like alert_only ones.
            case Admission.Limited l -> d.mode() == Mode.REPORT ? decision.withWouldLimit()
                    : decision.rateLimited(d.ruleId(), l.reason(), l.retryAfterSeconds());
        };
    }
}
