package io.clawgress.enforcement.activation;

import io.clawgress.enforcement.identity.jwt.JwtKeySet;
import io.clawgress.enforcement.policy.PolicySnapshot;

import java.time.Instant;
import java.util.Objects;

/**
 * The policy being enforced and where it came from. Immutable; swapped as a whole, so a decision that read it once
 * sees one consistent revision (CONVENTIONS: read the snapshot once per flow).
 *
 * @param snapshot    the compiled evaluator
 * @param jwtKeys     the identity providers and keys agent tokens are verified against, from the bundle's
 *                    {@value JwtKeySet#BUNDLE_PATH}; {@link JwtKeySet#EMPTY} when it has none (no JWT identifies an
 *                    agent) and for deny all
 * @param revision    the bundle's signed revision; 0 when nothing valid is active (deny all)
 * @param kid         the signer's key id, or {@code null} (deny all, unsigned development policy)
 * @param source      where the bundle came from ({@code file:...}, {@code drop:...}, {@code url:...}, {@code store},
 *                    {@code none}, {@code unsafe_unsigned:...})
 * @param sha256      hex SHA-256 of the bundle bytes, or {@code null} when there is no bundle
 * @param activatedAt when it became active in this process
 * @param expires     the bundle's signed expiry, or {@code null}
 */
public record ActivePolicy(PolicySnapshot snapshot, JwtKeySet jwtKeys, long revision, String kid, String source,
                           String sha256, Instant activatedAt, Instant expires) {

    /** The revision name decisions carry when no valid bundle is active. */
    public static final String NO_POLICY_REVISION = "none";

    public ActivePolicy {
        Objects.requireNonNull(snapshot, "snapshot");
        Objects.requireNonNull(jwtKeys, "jwtKeys");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(activatedAt, "activatedAt");
        if (revision < 0) {
            throw new IllegalArgumentException("revision: " + revision + " (expected: >= 0)");
        }
    }

    /** Fail closed: no valid bundle, every flow denied by default. */
    public static ActivePolicy denyAll(Instant now) {
        return new ActivePolicy(PolicySnapshot.denyAll(NO_POLICY_REVISION), JwtKeySet.EMPTY, 0, null, "none", null,
                now, null);
    }

    /** True when a signed bundle is enforced. */
    public boolean signed() {
        return revision > 0;
    }
}
