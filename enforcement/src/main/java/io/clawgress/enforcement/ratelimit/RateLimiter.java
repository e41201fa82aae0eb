package io.clawgress.enforcement.ratelimit;

import io.clawgress.enforcement.policy.RateLimit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The rules' rate limits (docs/policy.md, "rate_limit"; DESIGN.md §6): one GCRA bucket per (policy id, rule id,
 * limit, agent) or, for {@code per: destination}, per (policy id, rule id, limit, agent, destination name). The
 * daemon keeps one limiter for its whole life, across bundle swaps: a bucket lives on while its rule's
 * {@link RateLimit} stays equal, and a rule whose limit changed (rates, mode or {@code per}) counts in fresh buckets.
 *
 * <p>Intended use, on the thread that decides (an event loop), after an allow decision and before the upstream dial.
 * A connection is one request at L4; behind the L7 gate each HTTP request is one, and the connection decision that
 * hands a flow to the gate is not checked. Re-evaluating live flows after a bundle swap checks nothing.
 * <pre>{@code
 * PolicyDecision d = snapshot.decide(facts, identity);
 * if (d.relayed() && d.rateLimit() != null) {
 *     Admission a = limiter.check(d.policyId(), d.ruleId(), d.rateLimit(), identity.get().agentId(),
 *             d.rateLimitDestination(), System.nanoTime());
 *     switch (a) {
 *         case Admission.Admitted ok -> relay();
 *         case Admission.WouldLimit w -> relay();         // and record would_limit: true, w.reason()
 *         case Admission.Limited l -> refuse(l.reason(),  // 429 + Retry-After: l.retryAfterSeconds(), else reset
 *                 l.retryAfterSeconds());
 *     }
 * }
 * // and on a scheduler thread (never an event loop), about once a second:
 * limiter.sweep(System.nanoTime());
 * }</pre>
 *
 * <p>The algorithm is the generic cell rate algorithm (ITU-T I.371's virtual scheduling; Brandur Leach's "GCRA"
 * write-up): a limit of {@code n} per period has an emission interval {@code T = ceil(period / n)} nanoseconds and
 * each bucket keeps one theoretical arrival time {@code tat}. A request at {@code now} is admitted when
 * {@code max(tat, now) + T - now <= n * T}, and then {@code tat} becomes {@code max(tat, now) + T}. So an idle bucket
 * admits a burst of {@code n} at once, and sustained traffic gets {@code n} per period; a refused request consumes
 * nothing, and {@code Retry-After} is the time until it would fit, in whole seconds rounded up (at least 1). With
 * both {@code rps} and {@code rpm}, a request must fit both, and a bucket has one arrival time for each.
 *
 * <p>{@link #check} never blocks: on an existing bucket it is a few lock-free {@link ConcurrentHashMap} lookups keyed
 * by the strings it is given, then compare-and-set on the bucket's arrival times, and it allocates nothing when it
 * admits. Making a bucket holds one hash bin's lock for an insert; a refusal allocates its reason. Safe on any
 * thread.
 *
 * <p>Idle buckets, whose arrival times are past, are full again and hold nothing worth keeping; {@link #sweep} drops
 * them. At most {@code maxBuckets} buckets exist: when the cap is reached, a request that needs a new bucket fails
 * closed (a {@code hard_stop} limit answers {@link Admission.Limited}, an {@code alert_only} one
 * {@link Admission.WouldLimit}, both with {@code Retry-After} 1 and a reason naming the cap) and is counted as
 * {@code capRejected}, while existing buckets go on as before. Every check counts in exactly one of
 * {@code admitted}, {@code limited}, {@code wouldLimit} and {@code capRejected}.
 */
public final class RateLimiter {

    /** The default cap on the number of buckets. */
    public static final int DEFAULT_MAX_BUCKETS = 1_000_000;

    static final long SECOND = 1_000_000_000L;
    static final long MINUTE = 60 * SECOND;

    /** {@link #child}: the container was retired under us; look it up again. */
    private static final Object RETRY = new Object();
    /** {@link #child}: no new bucket, the cap is reached. */
    private static final Object FULL = new Object();
    /** The order of {@link #buckets}. */
    private static final Comparator<BucketView> BY_KEY = Comparator.comparing(BucketView::policyId)
            .thenComparing(BucketView::ruleId).thenComparing(BucketView::agentId)
            .thenComparing(BucketView::destination, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(v -> v.limit().toString());

    private final int maxBuckets;
    /**
     * Policy id, then rule id, to the scopes (one per limit) of that rule: copied on write, one element but while
     * decisions of an old snapshot still use an old limit. A policy's map stays when its scopes are all gone: policy
     * ids come from signed bundles, not from agents, so these are few.
     */
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, Scope[]>> policies =
            new ConcurrentHashMap<>();
    private final AtomicLong buckets = new AtomicLong();
    private final LongAdder admitted = new LongAdder();
    private final LongAdder limited = new LongAdder();
    private final LongAdder wouldLimit = new LongAdder();
    private final LongAdder capRejected = new LongAdder();
    private final LongAdder evicted = new LongAdder();

    /** A limiter with at most {@link #DEFAULT_MAX_BUCKETS} buckets. */
    public RateLimiter() {
        this(DEFAULT_MAX_BUCKETS);
    }

    public RateLimiter(int maxBuckets) {
        if (maxBuckets < 1) {
            throw new IllegalArgumentException("maxBuckets: " + maxBuckets + " (expected: > 0)");
        }
        this.maxBuckets = maxBuckets;
    }

    /**
     * Counts one request against the limit of rule {@code ruleId} of policy {@code policyId} for {@code agentId}.
     *
     * @param spec        the rule's limit, as the deciding snapshot has it ({@code PolicyDecision.rateLimit()})
     * @param destination for {@code per: destination}, the destination name ({@code PolicyDecision
     *                    .rateLimitDestination()}); ignored (and may be null) for {@code per: agent}
     * @param nowNanos    {@link System#nanoTime()}, or a test clock; the same clock for every call and for
     *                    {@link #sweep}
     */
    public Admission check(String policyId, String ruleId, RateLimit spec, String agentId, String destination,
                           long nowNanos) {
        Objects.requireNonNull(policyId, "policyId");
        Objects.requireNonNull(ruleId, "ruleId");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(agentId, "agentId");
        boolean perDestination = spec.per() == RateLimit.Per.DESTINATION;
        if (perDestination && destination == null) {
            throw new IllegalArgumentException("destination: null for the per destination limit of policy " + policyId
                    + " rule " + ruleId + " (expected: the destination name)");
        }
        ConcurrentHashMap<String, Scope[]> rules = policies.get(policyId);
        if (rules == null) {
            rules = policies.computeIfAbsent(policyId, k -> new ConcurrentHashMap<>());
        }
        for (;;) {
            Scope scope = scope(rules, policyId, ruleId, spec);
            Container container = scope;
            String key = agentId;
            if (perDestination) {
                Object node = child(scope, agentId, nowNanos, false);
                if (node == RETRY) {
                    prune(rules, ruleId);
                    continue;
                }
                container = (Container) node;
                key = destination;
            }
            Object found = child(container, key, nowNanos, true);
            if (found == RETRY) {
                if (container == scope) {
                    prune(rules, ruleId);
                } else {
                    scope.children.remove(agentId, container);
                }
                continue;
            }
            if (found == FULL) {
                capRejected.increment();
                return full(scope, agentId, destination);
            }
            Bucket bucket = (Bucket) found;
            long r = bucket.take(scope, nowNanos);
            if (r == Bucket.DEAD) {
                container.children.remove(key, bucket); // retired by a sweep; its accounting is the sweep's
                continue;
            }
            bucket.counted(nowNanos, r == 0);
            if (r == 0) {
                admitted.increment();
                return Admission.ADMITTED;
            }
            return over(scope, agentId, destination, r);
        }
    }

    /**
     * Drops the buckets that are idle at {@code nowNanos} (every arrival time past: full again), and the containers
     * left empty. Runs off the data path, on a scheduler thread; {@code O(buckets)}. Safe to run alongside
     * {@link #check}: a request that races with its bucket's removal is counted again in a fresh bucket.
     *
     * @return the number of buckets dropped
     */
    public int sweep(long nowNanos) {
        int dropped = 0;
        for (ConcurrentHashMap<String, Scope[]> rules : policies.values()) {
            for (Map.Entry<String, Scope[]> rule : rules.entrySet()) {
                boolean retired = false;
                for (Scope scope : rule.getValue()) {
                    dropped += sweep(scope, nowNanos);
                    retired |= scope.isRetired() || scope.retire();
                }
                if (retired) {
                    prune(rules, rule.getKey());
                }
            }
        }
        return dropped;
    }

    private int sweep(Scope scope, long now) {
        int dropped = 0;
        for (Map.Entry<String, Object> e : scope.children.entrySet()) {
            if (e.getValue() instanceof Bucket b) {
                dropped += evict(scope, scope, e.getKey(), b, now);
            } else {
                Container node = (Container) e.getValue();
                for (Map.Entry<String, Object> d : node.children.entrySet()) {
                    dropped += evict(scope, node, d.getKey(), (Bucket) d.getValue(), now);
                }
                if (node.retire()) {
                    scope.children.remove(e.getKey(), node);
                    scope.release();
                }
            }
        }
        return dropped;
    }

    /**
     * The buckets as they stand at {@code nowNanos} (the clock of {@link #check}), sorted by policy, rule, agent and
     * destination: for {@code clawgressctl quota show}. Off the data path (an admin thread); reads without locks while
     * requests go on, allocates one view per bucket.
     *
     * @param agentId only this agent's buckets, or {@code null} for every agent
     */
    public List<BucketView> buckets(String agentId, long nowNanos) {
        List<BucketView> views = new ArrayList<>();
        for (ConcurrentHashMap<String, Scope[]> rules : policies.values()) {
            for (Scope[] scopes : rules.values()) {
                for (Scope scope : scopes) {
                    for (Map.Entry<String, Object> e : scope.children.entrySet()) {
                        if (agentId != null && !agentId.equals(e.getKey())) {
                            continue;
                        }
                        if (e.getValue() instanceof Bucket b) {
                            add(views, b.view(scope, e.getKey(), null, nowNanos));
                        } else {
                            for (Map.Entry<String, Object> d : ((Container) e.getValue()).children.entrySet()) {
                                add(views, ((Bucket) d.getValue()).view(scope, e.getKey(), d.getKey(), nowNanos));
                            }
                        }
                    }
                }
            }
        }
        views.sort(BY_KEY);
        return views;
    }

    private static void add(List<BucketView> views, BucketView view) {
        if (view != null) {
            views.add(view);
        }
    }

    /** The counters so far, and the number of buckets now. */
    public Counts counts() {
        return new Counts(admitted.sum(), limited.sum(), wouldLimit.sum(), capRejected.sum(), evicted.sum(),
                buckets.get());
    }

    /**
     * @param admitted    requests within their limit
     * @param limited     requests refused over a {@code hard_stop} limit
     * @param wouldLimit  requests over an {@code alert_only} limit, admitted
     * @param capRejected requests that needed a new bucket when the cap was reached (refused, or flagged for
     *                    {@code alert_only})
     * @param evicted     idle buckets dropped by {@link #sweep}
     * @param buckets     buckets now
     */
    public record Counts(long admitted, long limited, long wouldLimit, long capRejected, long evicted, long buckets) {
    }

    /** Scopes held now, retired ones not yet dropped included (tests). */
    int scopeCount() {
        int n = 0;
        for (ConcurrentHashMap<String, Scope[]> rules : policies.values()) {
            for (Scope[] list : rules.values()) {
                n += list.length;
            }
        }
        return n;
    }

    private int evict(Scope scope, Container container, String key, Bucket bucket, long now) {
        if (!bucket.retireIfIdle(scope, now)) {
            return 0;
        }
        container.children.remove(key, bucket);
        buckets.decrementAndGet();
        container.release();
        evicted.increment();
        return 1;
    }

    private static Scope scope(ConcurrentHashMap<String, Scope[]> rules, String policyId, String ruleId,
                               RateLimit spec) {
        Scope[] list = rules.get(ruleId);
        if (list != null) {
            for (Scope s : list) {
                if (s.matches(spec) && !s.isRetired()) {
                    return s;
                }
            }
        }
        // A new rule or limit, or its scope was just retired: add one, dropping retired ones (off the hot path).
        Scope[] now = rules.compute(ruleId, (k, old) -> {
            List<Scope> live = new ArrayList<>();
            boolean present = false;
            for (Scope s : old == null ? new Scope[0] : old) {
                if (!s.isRetired()) {
                    live.add(s);
                    present |= s.matches(spec);
                }
            }
            if (!present) {
                live.add(new Scope(policyId, ruleId, spec));
            }
            return live.toArray(new Scope[0]);
        });
        for (Scope s : now) {
            if (s.matches(spec)) {
                return s; // perhaps retired already by a sweep: check() then finds out and comes back
            }
        }
        throw new IllegalStateException("no scope for policy " + policyId + " rule " + ruleId + " after adding it");
    }

    private static Scope[] withLive(Scope[] list) {
        List<Scope> live = new ArrayList<>();
        for (Scope s : list) {
            if (!s.isRetired()) {
                live.add(s);
            }
        }
        return live.toArray(new Scope[0]);
    }

    /** Drops the retired scopes of a rule (and its entry, when none is left). */
    private static void prune(ConcurrentHashMap<String, Scope[]> rules, String ruleId) {
        rules.computeIfPresent(ruleId, (k, old) -> {
            Scope[] live = withLive(old);
            return live.length == 0 ? null : live;
        });
    }

    /**
     * The child of {@code parent} under {@code key} (a bucket, or a per-destination node), made when missing: the
     * existing one, perhaps retired (the caller then removes it and looks again), a new one, {@link #RETRY} when the
     * parent itself is retired, or {@link #FULL} when a new bucket would pass the cap.
     */
    private Object child(Container parent, String key, long now, boolean bucket) {
        Object existing = parent.children.get(key);
        if (existing != null) {
            return existing;
        }
        if (!parent.reserve()) {
            return RETRY;
        }
        if (bucket && buckets.incrementAndGet() > maxBuckets) {
            buckets.decrementAndGet();
            parent.release();
            return FULL;
        }
        Object fresh = bucket ? new Bucket(now) : new Container();
        Object prior = parent.children.putIfAbsent(key, fresh);
        if (prior != null) {
            if (bucket) {
                buckets.decrementAndGet();
            }
            parent.release();
            return prior;
        }
        return fresh;
    }

    private Admission over(Scope scope, String agentId, String destination, long r) {
        // r > 0: the first limit refused, r nanoseconds from fitting; r < 0: the per-minute one of two, -r from it.
        long wait = r > 0 ? r : -r;
        int retryAfter = (int) Math.max(1, Math.ceilDiv(wait, SECOND));
        String reason = "rate limit " + (r > 0 ? scope.firstLabel : scope.secondLabel) + " of policy "
                + scope.policyId + " rule " + scope.ruleId + " exceeded for agent " + agentId
                + (scope.perDestination ? " to " + destination : "");
        if (scope.spec.mode() == RateLimit.LimitMode.HARD_STOP) {
            limited.increment();
            return new Admission.Limited(retryAfter, reason);
        }
        wouldLimit.increment();
        return new Admission.WouldLimit(retryAfter, reason + "; admitted (alert_only)");
    }

    private Admission full(Scope scope, String agentId, String destination) {
        String reason = "rate limiter full (" + maxBuckets + " buckets): no bucket for policy " + scope.policyId
                + " rule " + scope.ruleId + ", agent " + agentId
                + (scope.perDestination ? " to " + destination : "");
        if (scope.spec.mode() == RateLimit.LimitMode.HARD_STOP) {
            return new Admission.Limited(1, reason + "; refused (fail closed)");
        }
        return new Admission.WouldLimit(1, reason + "; admitted (alert_only)");
    }
}
