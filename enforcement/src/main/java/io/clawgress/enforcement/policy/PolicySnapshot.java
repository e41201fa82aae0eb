package io.clawgress.enforcement.policy;

import io.clawgress.api.DialMode;
import io.clawgress.api.FlowFacts;
import io.clawgress.api.Identity;
import io.clawgress.api.PeekFacts;
import io.clawgress.api.Termination;
import io.clawgress.api.Verdict;
import io.clawgress.enforcement.net.Addresses;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A compiled, immutable policy set with one revision: what the data path reads once per flow and pins. Built by
 * {@link PolicyCompiler}; safe on any thread, and {@link #decide} never blocks.
 *
 * <p>The decision ladder (docs/policy.md): an unbound source or a disabled agent is denied first. Otherwise every
 * target (policy, rule, destination) that applies to the agent (subjects, {@code min_auth}), the port, the claimed
 * name (host destinations) or the original address (CIDR destinations) and, for rules with HTTP conditions, the
 * request, is a candidate; the one ranked first decides: higher priority first, at equal priority deny before
 * allow, then the most specific destination. A report-mode deny relays and sets {@code would_deny}. Nothing
 * matching is default deny ({@code sni_missing} for TLS without SNI). Candidates come from a host-name table and
 * per-family prefix tables, so the cost does not grow with the number of rules.
 *
 * <p>Interception (TLS with a claimed name only): a host destination of an {@code intercept: true} rule that
 * decides the flow turns its relay into {@link Verdict.Intercept}. When the source is unbound, or the ladder ends in
 * the default deny, the best-ranked intercept host destination matching the SNI and port intercepts the flow
 * whatever its subjects and {@code http}: the identity (mTLS, JWT) and the request are only visible after
 * termination, where every request is decided again with HTTP facts. An explicit deny that applies to the
 * ClientHello refuses the connection before interception; a disabled agent stays denied; a relay by a rule without
 * {@code intercept} stays a splice. HTTP, opaque and unpeeked flows never intercept: there an intercept rule decides
 * like any allow rule.
 */
public final class PolicySnapshot {

    /** Rule ids of decisions no policy rule made. */
    public static final String DEFAULT_RULE = "default";
    public static final String UNBOUND_RULE = "unbound_source";
    public static final String DISABLED_RULE = "agent_disabled";
    public static final String SNI_MISSING_RULE = "sni_missing";

    /** Identities whose subject-group matches are memoised; beyond this they are computed per call. */
    static final int MAX_CACHED_IDENTITIES = 65_536;

    private final String revision;
    private final PolicySet policySet;
    private final Subjects[] groups;
    private final HostTable hosts;
    /** Host destinations of intercept rules only, or null when no rule intercepts. */
    private final HostTable intercepts;
    private final List<String> interceptPatterns;
    private final PrefixTable<Target[]> v4;
    private final PrefixTable<Target[]> v6;
    private final PrefixTable<Optional<Identity>> bindings4;
    private final PrefixTable<Optional<Identity>> bindings6;
    private final int targetCount;
    private final ConcurrentHashMap<Identity, boolean[]> groupCache = new ConcurrentHashMap<>();

    PolicySnapshot(String revision, PolicySet policySet, Subjects[] groups, HostTable hosts, HostTable intercepts,
                   List<String> interceptPatterns, PrefixTable<Target[]> v4, PrefixTable<Target[]> v6,
                   PrefixTable<Optional<Identity>> bindings4, PrefixTable<Optional<Identity>> bindings6,
                   int targetCount) {
        this.revision = Objects.requireNonNull(revision, "revision");
        this.policySet = policySet;
        this.groups = groups;
        this.hosts = hosts;
        this.intercepts = intercepts;
        this.interceptPatterns = interceptPatterns;
        this.v4 = v4;
        this.v6 = v6;
        this.bindings4 = bindings4;
        this.bindings6 = bindings6;
        this.targetCount = targetCount;
    }

    /** No policies and no bindings: every flow is denied (the state with no valid bundle at all). */
    public static PolicySnapshot denyAll(String revision) {
        return PolicyCompiler.compile(PolicySet.empty(), revision);
    }

    public String revision() {
        return revision;
    }

    /** The policy set this snapshot was compiled from (policies in ladder order: priority desc, then id). */
    public PolicySet policySet() {
        return policySet;
    }

    /** Number of compiled (policy, rule, destination) targets. */
    public int targetCount() {
        return targetCount;
    }

    /**
     * The host patterns of every intercept rule's host destinations ({@code api.example.com}, {@code *.example.com}),
     * lower-case A-labels, distinct and sorted: the only names the intercept CA's intermediate may vouch for (its
     * X.509 nameConstraints). Empty when no rule intercepts.
     */
    public List<String> interceptPatterns() {
        return interceptPatterns;
    }

    /** The identity bound to {@code source} by an {@code IdentityBindings} document, or empty. */
    public Optional<Identity> identify(InetAddress source) {
        Optional<Identity> id = (source instanceof java.net.Inet4Address ? bindings4 : bindings6).longest(source);
        return id != null ? id : Optional.empty();
    }

    /**
     * Decides one flow for {@code identity} (resolved by the caller: subnet binding, mTLS, JWT). Never throws for
     * any flow; allocation-free for enforced denials of IPv4 flows, one verdict and one decision otherwise.
     */
    public PolicyDecision decide(FlowFacts facts, Optional<Identity> identity) {
        InetSocketAddress dst = facts.originalDestination();
        PeekFacts peek = facts.peek();
        String name = claimedName(peek);
        // Only a ClientHello with a name can be intercepted: the leaf is minted for that name.
        String sni = peek.kind() == PeekFacts.Kind.TLS ? name : null;
        int port = dst.getPort();
        if (identity.isEmpty()) {
            // An unbound source may still prove an identity inside (client certificate, JWT).
            Target i = interceptFor(sni, port);
            if (i != null) {
                return intercept(i, dst, sni);
            }
            return PolicyDecision.builtIn(Termination.POLICY_DENIED, UNBOUND_RULE, "source "
                    + Addresses.text(facts.source().getAddress()) + " is bound to no agent identity", revision);
        }
        Identity agent = identity.get();
        if (!agent.active()) {
            return PolicyDecision.builtIn(Termination.POLICY_DENIED, DISABLED_RULE,
                    "agent " + agent.agentId() + " is disabled", revision);
        }
        boolean[] applies = groupsFor(agent);
        Target best = null;
        if (name != null) {
            best = hosts.best(name, applies, port, peek);
        }
        InetAddress address = dst.getAddress();
        if (address != null) {
            PrefixTable<Target[]> table = address instanceof java.net.Inet4Address ? v4 : v6;
            int n = table.lengthCount();
            if (n > 0) {
                long h;
                long l;
                if (address instanceof java.net.Inet4Address a4) {
                    h = CidrBits.ipv4(a4) & 0xffffffffL;
                    l = 0;
                } else {
                    byte[] b = address.getAddress(); // the one copy an IPv6 decision makes
                    h = CidrBits.high(b);
                    l = CidrBits.low(b);
                }
                for (int i = 0; i < n; i++) {
                    Target[] list = table.probe(i, h, l);
                    if (list != null) {
                        best = Target.better(best, Target.firstEligible(list, applies, port, peek));
                    }
                }
            }
        }
        if (best == null) {
            // Nothing allows it on the ClientHello; an intercept rule for the name may still allow its requests.
            Target i = interceptFor(sni, port);
            if (i != null) {
                return intercept(i, dst, sni);
            }
            if (peek.kind() == PeekFacts.Kind.TLS && peek.name() == null) {
                // DESIGN.md §3: TLS without SNI is denied unless an address rule allows the destination.
                return PolicyDecision.builtIn(Termination.SNI_MISSING, SNI_MISSING_RULE, "TLS to "
                        + Addresses.hostPort(dst) + " without SNI, and no address rule allows it", revision);
            }
            return PolicyDecision.builtIn(Termination.POLICY_DENIED, DEFAULT_RULE, "no rule allows agent "
                    + agent.agentId() + " to reach " + (name != null ? name + " at " : "") + Addresses.hostPort(dst)
                    + " (default deny)", revision);
        }
        if (best.fixedDecision != null) {
            return best.fixedDecision; // an explicit deny refuses the connection before any interception
        }
        if (sni != null && best.intercepts) {
            return intercept(best, dst, sni);
        }
        boolean wouldDeny = best.rule.action() == Action.DENY; // only report-mode denials get here
        Verdict.Relay relay = best.destination.isHost()
                ? new Verdict.Relay(dst, name, best.destination.dial(), best.rule.id(), best.reason)
                : new Verdict.Relay(dst, best.rule.id(), best.reason);
        // A deny rule has no rate limit (Rule), so a report-mode denial that relays carries none.
        return new PolicyDecision(relay, best.reason, best.policy.id(), best.rule.id(), revision, best.policy.mode(),
                wouldDeny, best.rule.rateLimit());
    }

    /** The best-ranked intercept host destination for the SNI and port, whatever its subjects and HTTP, or null. */
    private Target interceptFor(String sni, int port) {
        return sni == null || intercepts == null ? null : intercepts.bestOnPort(sni, port);
    }

    private PolicyDecision intercept(Target t, InetSocketAddress dst, String sni) {
        Verdict.Intercept v = new Verdict.Intercept(dst, sni, t.destination.dial(), t.rule.id(), t.interceptReason);
        return new PolicyDecision(v, t.interceptReason, t.policy.id(), t.rule.id(), revision, t.policy.mode(), false);
    }

    private boolean[] groupsFor(Identity agent) {
        boolean[] cached = groupCache.get(agent);
        if (cached != null) {
            return cached;
        }
        boolean[] applies = new boolean[groups.length];
        for (int i = 0; i < groups.length; i++) {
            applies[i] = groups[i].matches(agent);
        }
        if (groupCache.size() < MAX_CACHED_IDENTITIES) {
            groupCache.putIfAbsent(agent, applies);
        }
        return applies;
    }

    /**
     * The host name the flow claimed (SNI or Host), or null. An IP literal is no name: the address decides. The
     * peek stage already yields lower-case A-labels without a port.
     */
    static String claimedName(PeekFacts peek) {
        String n = peek.name();
        if (n == null || n.isEmpty() || n.indexOf(':') >= 0 || n.charAt(0) == '[') {
            return null;
        }
        boolean digitsAndDots = true;
        for (int i = 0; i < n.length() && digitsAndDots; i++) {
            char c = n.charAt(i);
            digitsAndDots = c == '.' || (c >= '0' && c <= '9');
        }
        return digitsAndDots ? null : n;
    }

    /** Subject groups in compile order (for explain and tests). */
    List<Subjects> groups() {
        return List.of(groups);
    }
}
