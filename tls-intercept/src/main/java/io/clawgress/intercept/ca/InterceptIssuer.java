package io.clawgress.intercept.ca;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Keeps the current intermediate and its {@link LeafMinter} in step with the active bundle: re-issues the
 * intermediate when the intercepted names change or it passes half life, and drops it when nothing is intercepted.
 * A new intermediate comes with a new, empty leaf cache: leaves of the old one are not served again, so a name the
 * new bundle no longer intercepts gets no leaf from then on.
 *
 * <p>Threads: {@link #current()} is a volatile read, safe on an event loop. {@link #refresh} generates a key when it
 * re-issues: call it off the event loop, after a bundle is activated and from a periodic timer (hourly is plenty
 * for a week-long intermediate). Calls to {@link #refresh} are serialised.
 */
public final class InterceptIssuer {

    private final InterceptCa ca;
    private final LeafMinter.Settings leafSettings;
    private final Duration intermediateLifetime;
    private final Clock clock;
    private volatile LeafMinter current;

    public InterceptIssuer(InterceptCa ca, LeafMinter.Settings leafSettings, Duration intermediateLifetime,
                           Clock clock) {
        this.ca = Objects.requireNonNull(ca, "ca");
        this.leafSettings = Objects.requireNonNull(leafSettings, "leafSettings");
        this.intermediateLifetime = Objects.requireNonNull(intermediateLifetime, "intermediateLifetime");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (intermediateLifetime.compareTo(leafSettings.leafLifetime().multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("intermediateLifetime: " + intermediateLifetime + " (expected: >= "
                    + leafSettings.leafLifetime().multipliedBy(2) + ", twice the leaf lifetime, so leaves minted"
                    + " before half life get their full lifetime)");
        }
    }

    /** The minter for the active names, or empty when nothing is intercepted (or before the first refresh). */
    public Optional<LeafMinter> current() {
        return Optional.ofNullable(current);
    }

    /**
     * Makes the current minter match {@code names}: re-issues the intermediate if the names differ or it is past
     * half life, drops it if {@code names} is empty, else keeps it. Blocking CPU work when it re-issues.
     *
     * @return whether the minter changed
     */
    public synchronized boolean refresh(InterceptNames names) {
        Objects.requireNonNull(names, "names");
        LeafMinter now = current;
        if (names.isEmpty()) {
            current = null;
            return now != null;
        }
        if (now != null && !now.intermediate().needsReissue(names, clock.instant())) {
            return false;
        }
        current = new LeafMinter(ca.issueIntermediate(names, intermediateLifetime), leafSettings, clock);
        return true;
    }
}
