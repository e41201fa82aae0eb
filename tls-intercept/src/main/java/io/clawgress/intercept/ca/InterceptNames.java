package io.clawgress.intercept.ca;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The names the active bundle intercepts, and how they map to the intermediate's X.509 nameConstraints
 * (RFC 5280 §4.2.1.10). Immutable; built off the event loop when a bundle is activated.
 *
 * <p>Two kinds of name, as policies write them (the same semantics as the policy's host patterns):
 * <ul>
 *   <li>an exact host {@code api.example.com}: that host only;</li>
 *   <li>a wildcard {@code *.example.com}: every subdomain of {@code example.com} at any depth, but not
 *       {@code example.com} itself.</li>
 * </ul>
 *
 * <p>RFC 5280 dNSName constraints cannot say "this host only": a constraint {@code api.example.com} is satisfied by
 * the host and by every name made by adding labels on the left. The mapping is therefore:
 * <ul>
 *   <li>wildcard {@code *.example.com} → permitted {@code .example.com}. The leading dot means "subdomains only" in
 *       OpenSSL, BoringSSL, Go, NSS and the JDK;</li>
 *   <li>exact {@code api.example.com} → permitted {@code api.example.com} <em>and</em> excluded
 *       {@code .api.example.com}, so the pair covers exactly that host. The exclusion is left out when another
 *       intercepted name needs a subdomain of that host: an exact name below it, or a wildcard at or below it.
 *       Then the certificate permits every subdomain of the host and the minter's own check
 *       ({@link #permits(String)}) is the only thing that narrows it;</li>
 *   <li>names already covered by a wildcard add no subtree of their own.</li>
 * </ul>
 * The intermediate also excludes every IP address ({@code 0.0.0.0/0} and {@code ::/0}); see {@link Intermediate}.
 *
 * @param exactHosts      exact host names, lower-case A-labels, sorted
 * @param wildcardDomains the domains of the wildcards ({@code example.com} for {@code *.example.com}), sorted
 */
public record InterceptNames(SortedSet<String> exactHosts, SortedSet<String> wildcardDomains) {

    /**
     * At most this many names. The intermediate travels in every intercepted handshake, and each name costs it
     * about 20 bytes.
     */
    public static final int MAX_NAMES = 1000;

    /** No interception: no intermediate is issued and nothing is minted. */
    public static final InterceptNames NONE = new InterceptNames(new TreeSet<>(), new TreeSet<>());

    public InterceptNames {
        Objects.requireNonNull(exactHosts, "exactHosts");
        Objects.requireNonNull(wildcardDomains, "wildcardDomains");
        exactHosts = normalized("exactHosts", exactHosts);
        wildcardDomains = normalized("wildcardDomains", wildcardDomains);
        int count = exactHosts.size() + wildcardDomains.size();
        if (count > MAX_NAMES) {
            throw new IllegalArgumentException("names: " + count + " (expected: <= " + MAX_NAMES + ")");
        }
    }

    /**
     * Parses names as policies write them: {@code api.example.com} or {@code *.example.com}. Internationalised
     * names become A-labels; duplicates collapse.
     *
     * @throws IllegalArgumentException on a bare {@code *}, a wildcard anywhere but the whole first label, an IP
     *                                  address or an invalid host name
     */
    public static InterceptNames of(Collection<String> patterns) {
        TreeSet<String> exact = new TreeSet<>();
        TreeSet<String> wildcard = new TreeSet<>();
        for (String p : patterns) {
            if (p == null) {
                throw new IllegalArgumentException("pattern: null (expected: a host name or *.domain)");
            }
            boolean isWildcard = p.startsWith("*.");
            String name = isWildcard ? p.substring(2) : p;
            if (name.contains("*")) {
                throw new IllegalArgumentException("pattern: '" + p + "' (expected: a host name, or *.domain for its"
                        + " subdomains; never a bare * or a * inside a label)");
            }
            (isWildcard ? wildcard : exact).add(DnsNames.normalize("pattern", name));
        }
        return new InterceptNames(exact, wildcard);
    }

    /** The names as policies write them, sorted: exact hosts, then {@code *.}domains. */
    public List<String> patterns() {
        List<String> out = new ArrayList<>(exactHosts);
        for (String d : wildcardDomains) {
            out.add("*." + d);
        }
        return out;
    }

    public boolean isEmpty() {
        return exactHosts.isEmpty() && wildcardDomains.isEmpty();
    }

    /**
     * Whether a leaf may be minted for {@code host} (lower-case A-labels): it is one of the exact hosts or a strict
     * subdomain of a wildcard's domain. Never wider than the nameConstraints.
     */
    public boolean permits(String host) {
        if (exactHosts.contains(host)) {
            return true;
        }
        // Walk up the labels: each parent that is a wildcard domain permits the host. At most 127 steps.
        for (int dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
            if (wildcardDomains.contains(host.substring(dot + 1))) {
                return true;
            }
        }
        return false;
    }

    /** The permitted dNSName subtrees, sorted: {@code host} per uncovered exact host, {@code .domain} per wildcard. */
    public List<String> permittedDnsSubtrees() {
        TreeSet<String> out = new TreeSet<>();
        for (String d : wildcardDomains) {
            if (!underAnotherWildcard(d)) {
                out.add("." + d);
            }
        }
        for (String h : exactHosts) {
            if (!coveredByWildcard(h)) {
                out.add(h);
            }
        }
        return List.copyOf(out);
    }

    /**
     * The excluded dNSName subtrees, sorted: {@code .host} for each permitted exact host none of whose subdomains
     * another name needs.
     */
    public List<String> excludedDnsSubtrees() {
        TreeSet<String> out = new TreeSet<>();
        for (String h : exactHosts) {
            if (coveredByWildcard(h)) {
                continue;
            }
            boolean subdomainNeeded = exactHosts.stream().anyMatch(e -> DnsNames.isStrictlyUnder(e, h))
                    || wildcardDomains.stream().anyMatch(d -> DnsNames.isAtOrUnder(d, h));
            if (!subdomainNeeded) {
                out.add("." + h);
            }
        }
        return List.copyOf(out);
    }

    private boolean coveredByWildcard(String host) {
        return wildcardDomains.stream().anyMatch(d -> DnsNames.isStrictlyUnder(host, d));
    }

    private boolean underAnotherWildcard(String domain) {
        return wildcardDomains.stream().anyMatch(d -> DnsNames.isStrictlyUnder(domain, d));
    }

    private static SortedSet<String> normalized(String field, SortedSet<String> names) {
        TreeSet<String> out = new TreeSet<>();
        for (String n : names) {
            String norm = DnsNames.normalize(field, n);
            if (!norm.equals(n)) {
                throw new IllegalArgumentException(field + ": '" + n + "' (expected: lower-case A-labels, no"
                        + " trailing dot, such as '" + norm + "'; InterceptNames.of normalises)");
            }
            out.add(n);
        }
        return Collections.unmodifiableSortedSet(out);
    }
}
